# Extra reference outputs of R surveillance (1.20.3) for hopia's tests: synthetic weekly and
# Run with Rscript (Debian packages r-base-core 4.2.2 and r-cran-surveillance 1.20.3) in this folder;
# it writes farrington_extra.csv, farrington_monthly.csv and cusum_agona.csv.
# monthly series that exercise the corners of farringtonFlexible (zero baselines, trends kept,
# power transforms, thresholds, monthly blocks) and earsC with other baselines/alphas.
suppressMessages(library(surveillance))
set.seed(20240601)
n <- 520
t <- 1:n
series <- list(
  sparse = rpois(n, 0.4 + 0.3 * sin(2 * pi * t / 52)),
  zeros = c(rep(0, 300), rpois(n - 300, 2)),
  trend = rpois(n, exp(1 + 0.004 * t + 0.5 * cos(2 * pi * t / 52))),
  large = rnbinom(n, mu = 2000 * exp(0.8 * cos(2 * pi * t / 52)), size = 15)
)
series$sparse[c(400, 401, 402)] <- c(6, 8, 5)
series$zeros[c(320, 321)] <- c(9, 7)
series$trend[c(470, 471)] <- series$trend[c(470, 471)] * 2
configs <- list(
  f1996 = list(weightsThreshold = 1, noPeriods = 1, pastWeeksNotIncluded = 3, thresholdMethod = "delta"),
  noufaily = list(weightsThreshold = 2.58, noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin"),
  muan = list(weightsThreshold = 2.58, noPeriods = 4, pastWeeksNotIncluded = 8, thresholdMethod = "muan", alpha = 0.01),
  half = list(weightsThreshold = 1.5, noPeriods = 1, powertrans = "1/2", b = 3, w = 2, alpha = 0.1),
  none = list(weightsThreshold = 1, noPeriods = 1, powertrans = "none", reweight = FALSE, limit54 = c(3, 2)),
  notrend = list(weightsThreshold = 2.58, noPeriods = 3, trend = FALSE, pastWeeksNotIncluded = 10)
)
out <- data.frame(t = t)
for (s in names(series)) {
  out[[s]] <- series[[s]]
  x <- sts(observed = series[[s]], frequency = 52)
  for (cn in names(configs)) {
    ctl <- modifyList(list(b = 5, w = 3, reweight = TRUE, alpha = 0.05, trend = TRUE,
                           pThresholdTrend = 0.05, limit54 = c(5, 4), powertrans = "2/3"), configs[[cn]])
    r <- suppressWarnings(farringtonFlexible(x, control = ctl))
    rng <- (52 * ctl$b + ctl$w + 1):n
    ub <- rep(NA, n); al <- rep(NA, n)
    ub[rng] <- upperbound(r); al[rng] <- as.integer(r@alarm)
    out[[paste(s, cn, "upperbound", sep = "_")]] <- ub
    out[[paste(s, cn, "alarm", sep = "_")]] <- al
  }
  for (m in c("C1", "C2", "C3")) {
    r <- earsC(x, control = list(method = m, baseline = 10, alpha = 0.01, range = 21:n))
    ub <- rep(NA, n); al <- rep(NA, n)
    ub[21:n] <- upperbound(r); al[21:n] <- as.integer(r@alarm)
    out[[paste(s, tolower(m), "upperbound", sep = "_")]] <- ub
    out[[paste(s, tolower(m), "alarm", sep = "_")]] <- al
  }
}
write.csv(out, "farrington_extra.csv", row.names = FALSE)
# Monthly series: noPeriods larger than the gap between windows (R's zero-length blocks).
m <- 180
monthly <- rpois(m, 20 * exp(0.4 * sin(2 * pi * (1:m) / 12)))
monthly[170] <- 45
mo <- data.frame(t = 1:m, observed = monthly)
x <- sts(observed = monthly, frequency = 12)
for (cn in c("f1996", "noufaily")) {
  ctl <- modifyList(list(b = 5, w = 3, reweight = TRUE, alpha = 0.05, trend = TRUE,
                         pThresholdTrend = 0.05, limit54 = c(5, 4), powertrans = "2/3"), configs[[cn]])
  if (cn == "noufaily") ctl$pastWeeksNotIncluded <- 4
  r <- suppressWarnings(farringtonFlexible(x, control = ctl))
  rng <- (12 * 5 + 3 + 1):m
  ub <- rep(NA, m); al <- rep(NA, m)
  ub[rng] <- upperbound(r); al[rng] <- as.integer(r@alarm)
  mo[[paste(cn, "upperbound", sep = "_")]] <- ub
  mo[[paste(cn, "alarm", sep = "_")]] <- al
}
write.csv(mo, "farrington_monthly.csv", row.names = FALSE)
suppressMessages(library(surveillance))
d <- read.csv("/work/shared/data/reference/surveillance/salmonella_agona.csv")
dp <- create.disProg(week=1:nrow(d), observed=d$observed, state=rep(0,nrow(d)), freq=52)
out <- data.frame(t=d$t, observed=d$observed)
rng <- 53:nrow(d)
for (tr in c("standard","rossi","anscombe","anscombe2nd","pearsonNegBin","none")) {
  for (mm in c("mean","glm")) {
    ctl <- list(range=rng, trans=tr, alpha=0.2)
    if (mm=="glm") ctl$m <- "glm"
    r <- algo.cusum(dp, control=ctl)
    ub <- rep(NA, nrow(d)); al <- rep(NA, nrow(d))
    ub[rng] <- r$upperbound; al[rng] <- as.integer(r$alarm)
    out[[paste0(tr,"_",mm,"_upperbound")]] <- ub
    out[[paste0(tr,"_",mm,"_alarm")]] <- al
  }
}
write.csv(out, "cusum_agona.csv", row.names=FALSE)
