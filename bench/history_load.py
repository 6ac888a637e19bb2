"""History-load benchmark: a ~2 GB Brazilian ERP export loaded through its mapping, streaming.

Generates, straight to disk, an export in the shape of `examples/exports/erp_pdv_vendas_*.csv`
(semicolon-separated Latin-1, `1.234,56` numbers, day-first local times, one row per receipt
line, 1-4 lines a receipt, 8% returns), with the fiscal columns a real ERP export carries
besides the example's 21 (33 columns, about 310 bytes a row), and loads it with `salesflow
load-csv`'s loader and `examples/mappings/erp_pdv.toml` into a temporary local lake. Each
measurement runs in its own process, so peak RSS (VmHWM from /proc) is that of the work alone:

1. the loader on the full file: rows/s, and rows per CPU-second of its process (steadier on a
   shared machine), against a plain `csv.reader` pass over the same file (decode, split, count)
   measured in the same run;
2. the loader's peak RSS on the full file against its peak RSS on a file 20 times smaller: the
   memory must not grow with the file (target <= 1.25).

Usage: `.venv/bin/python -m bench.history_load [--bytes 2000000000]` (about 5 minutes at
2 GB on 2 cores). Writes `bench/results/history_load.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.results_file import figure, write_results
from devstack.catalog import build_catalog

ROOT = Path(__file__).resolve().parent.parent

MAPPING = ROOT / "examples" / "mappings" / "erp_pdv.toml"
HEADER = (
    "EMPRESA;COD_LOJA;NOME_LOJA;PDV;NUM_CUPOM;CHAVE_NFCE;DATA_HORA;TIPO_MOV;COD_CLIENTE;"
    "NOME_CLIENTE;COD_PRODUTO;DESCRICAO;NCM;CFOP;QTDE;UN;VL_UNITARIO;VL_DESCONTO;VL_TOTAL;"
    "FORMA_PGTO;OPERADOR;CNPJ_LOJA;EAN;CEST;CST_ICMS;BASE_ICMS;ALIQ_ICMS;VL_ICMS;CST_PIS;"
    "VL_PIS;CST_COFINS;VL_COFINS;VENDEDOR\r\n"
)
"""The example export's 21 columns plus the fiscal ones a real ERP export carries."""
PAYMENT_CODES = ("01", "03", "03", "04", "04", "10", "15", "17", "17", "99")
OPERATORS = ("JOÃO PAULO", "MÁRCIA REGINA", "ANDRÉ LUÍS", "CONCEIÇÃO", "JOSÉ")
FIRST_DAY = datetime(2024, 1, 1, 8, 0)
UPLOADED_AT = datetime(2026, 12, 1, tzinfo=UTC)
SMALLER = 20
BATCH_ROWS = 20_000


def _brazilian(cents: int) -> str:
    whole, fraction = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{fraction:02d}"


def generate(path: Path, target_bytes: int, seed: int = 11) -> int:
    """Write an export of about `target_bytes`, in batches of rows; returns the row count.

    Receipts follow each other by 1-12 seconds from 2024-01-01, so 2 GB stay in the past."""
    rng = random.Random(seed)
    catalog = build_catalog()
    products = [
        (f"{p.sku};{p.name.upper()[:60]};84713012", int(p.list_price * 100), f"78{n:011d}")
        for n, p in enumerate(catalog.products)
        if p.list_price is not None
    ]
    stores = [
        (f"{n:03d}", (store.city or "").upper(), f"12345678{n:04d}91")
        for n, store in enumerate(catalog.stores[:16], start=1)
    ]
    customers = ["", "", *(c.customer_id for c in catalog.customers[:2000])]
    rows = 0
    receipt = 0
    moment = FIRST_DAY
    with path.open("w", encoding="latin-1", newline="") as out:
        out.write(HEADER)
        while out.tell() < target_bytes:
            batch: list[str] = []
            while len(batch) < BATCH_ROWS:
                receipt += 1
                moment += timedelta(seconds=rng.randint(1, 12))
                code, city, cnpj = rng.choice(stores)
                kind = "D" if rng.random() < 0.08 else "V"
                customer = rng.choice(customers)
                key = f"35{moment:%y%m}{cnpj}65001{receipt:09d}1{receipt % 10**8:08d}0"
                head = (
                    f"01;{code};{city};01;{receipt % 1000000:06d};{key};"
                    f"{moment:%d/%m/%Y %H:%M:%S};{kind};{customer};"
                    f"{'CLIENTE ' + customer if customer else 'CONSUMIDOR FINAL'};"
                )
                tail = f"{rng.choice(PAYMENT_CODES)};{rng.choice(OPERATORS)};{cnpj}"
                cfop = "5102" if kind == "V" else "1202"
                for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
                    product, price, ean = rng.choice(products)
                    quantity = rng.choice((1, 1, 1, 2, 3))
                    discount = price * quantity * 5 // 100 if rng.random() < 0.15 else 0
                    total = price * quantity - discount
                    batch.append(
                        f"{head}{product};{cfop};{quantity},000;UN;{_brazilian(price)};"
                        f"{_brazilian(discount)};{_brazilian(total)};{tail};{ean};2106400;00;"
                        f"{_brazilian(total)};18,00;{_brazilian(total * 18 // 100)};01;"
                        f"{_brazilian(total * 165 // 10000)};01;"
                        f"{_brazilian(total * 760 // 10000)};VENDEDOR {receipt % 40:02d}\r\n"
                    )
            out.write("".join(batch))
            rows += len(batch)
    return rows


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _worker(kind: str, export: Path, lake: Path) -> dict[str, float]:
    """Runs in a child process: one measurement, printed as JSON."""
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    if kind == "read":
        rows = 0
        with export.open("r", encoding="latin-1", newline="") as handle:
            for _ in csv.reader(handle, delimiter=";"):
                rows += 1
        result = {"rows": rows - 1}
    else:
        from batch_layer.csv_loader import load_csv
        from batch_layer.csv_mapping import read_mapping
        from batch_layer.csv_sources import LocalExport
        from contract.settings import Settings

        settings = Settings(lake_uri=str(lake), state_dir=lake.parent / "state")
        loaded = load_csv(
            LocalExport(export),
            settings=settings,
            mapping=read_mapping(MAPPING),
            uploaded_at=UPLOADED_AT,
        )
        result = {
            "rows": loaded.accepted + loaded.rejected,
            "accepted": loaded.accepted,
            "rejected": loaded.rejected,
            "parts": len(loaded.upload_parts),
        }
    return result | {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": _cpu_seconds() - cpu_started,
        "peak_rss": _peak_rss_bytes(),
    }


def _measure(kind: str, export: Path, lake: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.history_load", "--worker", kind, str(export), str(lake)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    measured: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    print(f"  {kind} {export.name}: {measured}", flush=True)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bytes", type=int, default=2_000_000_000)
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "EXPORT", "LAKE"), help="internal")
    args = parser.parse_args()
    if args.worker:
        kind, export, lake = args.worker
        print(json.dumps(_worker(kind, Path(export), Path(lake))))
        return

    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        root = Path(folder)
        large, small = root / "vendas_large.csv", root / "vendas_small.csv"
        started = time.perf_counter()
        large_rows = generate(large, args.bytes)
        print(
            f"generated {large_rows:,} rows, {large.stat().st_size:,} bytes "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        generate(small, args.bytes // SMALLER, seed=12)

        baseline = _measure("read", large, root / "unused")
        loaded = _measure("load", large, root / "lake")
        smaller = _measure("load", small, root / "lake_small")

    if loaded["rejected"]:
        raise SystemExit(f"the generated export should load whole: {loaded}")
    gib = 1024**3
    size_mb = args.bytes / 1e6
    figures = [
        figure(
            "history load rows/s vs csv.reader pass",
            loaded["rows"] / loaded["seconds"],
            "rows/s",
            baseline["rows"] / baseline["seconds"],
        ),
        figure(
            "same, rows per CPU-second",
            loaded["rows"] / loaded["cpu_seconds"],
            "rows/CPU-s",
            baseline["rows"] / baseline["cpu_seconds"],
        ),
        figure("history load MB per CPU-second", size_mb / loaded["cpu_seconds"], "MB/CPU-s"),
        figure("history load MB/s of export", size_mb / loaded["seconds"], "MB/s"),
        figure("history load seconds", loaded["seconds"], "s"),
        figure("history load rows", loaded["rows"], "rows"),
        figure("history load upload parts", loaded["parts"], "parts"),
        figure(
            f"history load peak RSS vs a {SMALLER}x smaller file",
            loaded["peak_rss"] / gib,
            "GiB",
            smaller["peak_rss"] / gib,
            "<= 1.25",
        ),
        figure("csv.reader pass peak RSS", baseline["peak_rss"] / gib, "GiB"),
    ]
    write_results("history_load", figures)


if __name__ == "__main__":
    main()
