"""``hopia surveil detect``: the file contract and clear errors on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hopia.cli import app


def _run(*args: str):
    return CliRunner().invoke(app, ["surveil", *args])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_extra_columns_kept_and_unmonitored_points_empty(tmp_path: Path) -> None:
    rows = "\n".join(f"{t},{3 + t % 4},x{t}" for t in range(1, 31))
    given = _write(tmp_path / "in.csv", "t,observed,label\n" + rows + "\n")
    out = tmp_path / "sub" / "out.csv"
    result = _run("detect", str(given), "--method", "ears-c1", "--alpha", "0.01", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "t,observed,label,alarm,upperbound"
    assert lines[1] == "1,4,x1,,"  # not monitored: empty alarm and bound
    t15 = lines[15].split(",")
    assert t15[:3] == ["15", "6", "x15"] and t15[3] in ("0", "1") and float(t15[4]) > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("week,count\n1,2\n", "missing column 't'"),
        ("t,observed\n1,2\n2,2.5\n", "line 3, field observed: expected a whole number, got '2.5'"),
        ("t,observed\n1,2\n2,-1\n", "line 3, field observed: a count cannot be negative"),
        ("t,observed\n1,2\n2,abc\n", "expected a whole number, got 'abc'"),
        ("t,observed\n1,2\n3,4\n", "line 3, field t: t must increase by 1"),
        ("t,observed\n1,2\n2,\n", "line 3, field observed: expected a whole number, got ''"),
        ("", "the file is empty"),
        ("t,observed\n", "no data rows"),
    ],
)
def test_bad_csv_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    from hopia.errors import InputError

    given = _write(tmp_path / "bad.csv", content)
    result = _run("detect", str(given), "--method", "ears-c1", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert message in str(result.exception)
    assert str(given) in str(result.exception)
    assert not (tmp_path / "o.csv").exists()


def test_main_prints_the_error_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from hopia import cli

    given = _write(tmp_path / "bad.csv", "t,observed\n1,-3\n")
    monkeypatch.setattr(
        "sys.argv",
        [
            "hopia",
            "surveil",
            "detect",
            str(given),
            "--method",
            "cusum",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    assert "cannot be negative" in capsys.readouterr().err


def test_unknown_method_and_missing_file(tmp_path: Path) -> None:
    given = _write(tmp_path / "in.csv", "t,observed\n1,2\n")
    result = _run("detect", str(given), "--method", "farrington", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "farrington-flexible" in result.output
    result = _run(
        "detect", str(tmp_path / "nope.csv"), "--method", "cusum", "--out", str(tmp_path / "o.csv")
    )
    assert result.exit_code != 0 and "cannot read the file" in str(result.exception)


def test_series_too_short_is_never_monitored(tmp_path: Path) -> None:
    rows = "\n".join(f"{t},{t % 3}" for t in range(1, 101))
    given = _write(tmp_path / "in.csv", "t,observed\n" + rows + "\n")
    out = tmp_path / "o.csv"
    result = _run("detect", str(given), "--method", "farrington-flexible", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert all(line.endswith(",,") for line in out.read_text().splitlines()[1:])
