"""Speed and memory of the tagger as a web worker runs it (a measurement, not a test).

Loads the configured taxonomy, jieba dictionary and learned model the way a worker does (no
scikit-learn, numpy or scipy), tags 200-character statements written here, and prints the time per
statement and the process's resident memory. Run: ``.venv/bin/python tests/bench/bench_tagger.py``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PIECES = [
    "镇里一周五天有三天在会上，很多会跟我们的工作没有关系，",
    "上面一个电话，下面跑断腿，什么事都以属地管理为名推给村里，",
    "每次检查都要翻台账、看材料，拍照留痕比干实事还重要，",
    "手机里十几个工作群，半夜还要回复收到，各种报表重复填报，",
    "今年县里取消了一批考核，会议明显减少，大家都说负担减轻了，",
    "年轻干部被县直部门借调走了两年，村里只剩两个人，",
]


def statements(n: int) -> list[str]:
    out = []
    for i in range(n):
        text = ""
        j = i
        while len(text) < 200:
            text += PIECES[j % len(PIECES)]
            j += 3
        out.append(text[:199] + "。")
    return out


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from feedback.tag_model import TagModel
    from feedback.tagging import Tagger, Taxonomy

    base = rss_mb()
    model_path = ROOT / "config" / "tagger_model.json"
    model = TagModel.load(model_path) if model_path.exists() else None
    tagger = Tagger(Taxonomy.load(ROOT / "config" / "taxonomy.yaml"), ROOT / "config" / "userdict.txt", model=model)
    started = time.perf_counter()
    tagger.warm_up()
    warm = time.perf_counter() - started
    texts = statements(600)
    for text in texts[:50]:
        tagger.tag(text)
    # Best of five passes, wall clock and this process's CPU time: on a shared machine the wall
    # clock also counts the time other processes had the CPU.
    per = cpu = float("inf")
    for _ in range(5):
        started, cpu_started = time.perf_counter(), time.process_time()
        for text in texts:
            tagger.tag(text)
        per = min(per, (time.perf_counter() - started) / len(texts) * 1000)
        cpu = min(cpu, (time.process_time() - cpu_started) / len(texts) * 1000)
    heavy = sorted(m for m in ("sklearn", "numpy", "scipy") if m in sys.modules)
    print(f"tagger {tagger.version}")
    print(
        f"jieba warm-up {warm:.2f} s; {per:.3f} ms per 200-character statement, {cpu:.3f} ms of CPU "
        f"(best of 5 passes over {len(texts)} statements; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"resident memory: {base:.1f} MB before, {rss_mb():.1f} MB with tagger and model loaded")
    print(f"heavy libraries imported: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
