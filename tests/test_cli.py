"""The real ``ragkb`` executable in a subprocess, as a user runs it."""

import json
import subprocess

import pytest
from support import write


def ragkb(env, *args, check=True):
    result = subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    write(folder / "leave.md", "# Leave policy\n\n## Annual leave\n\nEmployees get 15 days of annual leave per year.\n")
    write(
        folder / "请假制度.txt",
        "第一章 年假\n员工每年享有十五天带薪年假。\n第二章 病假\n病假需提供医院证明。\n",
        encoding="gb18030",
    )
    return folder


def test_create_add_search_show_list_delete(cli_env, docs):
    created = json.loads(ragkb(cli_env, "kb", "create", "notes", "--description", "HR", "--json").stdout)
    assert created["name"] == "notes" and created["settings"]["language"] == "auto"

    report = json.loads(ragkb(cli_env, "add", str(docs), "--kb", "notes", "--json").stdout)
    assert len(report["added"]) == 2 and report["failed"] == [] and report["chunks"] >= 3
    human = ragkb(cli_env, "add", str(docs), "--kb", "notes").stdout
    assert "skipped 2 unchanged" in human

    result = json.loads(ragkb(cli_env, "search", "病假需要什么证明", "--kb", "notes", "-k", "2", "--json").stdout)
    top = result["hits"][0]
    assert top["file"].endswith("请假制度.txt") and top["section"] == ["第二章 病假"] and "医院证明" in top["text"]
    for mode in ("sparse", "dense", "hybrid"):
        result = json.loads(
            ragkb(cli_env, "search", "how many days of annual leave", "--kb", "notes", "--mode", mode, "--json").stdout
        )
        assert result["hits"][0]["file"].endswith("leave.md") and result["profile"]["mode"] == mode, mode
    text = ragkb(cli_env, "search", "annual leave", "--kb", "notes").stdout
    assert "leave.md" in text and "Annual leave" in text

    shown = json.loads(ragkb(cli_env, "kb", "show", "notes", "--json").stdout)
    assert shown["files"] == 2 and {f["status"] for f in shown["file_list"]} == {"indexed"}
    listed = json.loads(ragkb(cli_env, "kb", "list", "--json").stdout)
    assert [(k["name"], k["files"]) for k in listed] == [("notes", 2)]

    removed = json.loads(ragkb(cli_env, "remove", str(docs / "leave.md"), "--kb", "notes", "--json").stdout)
    assert removed["removed"][0].endswith("leave.md")
    ragkb(cli_env, "kb", "delete", "notes", "--yes")
    assert json.loads(ragkb(cli_env, "kb", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "x", "--kb", "nope"], "knowledge base 'nope' does not exist"),
        (["add", "/no/such/folder", "--kb", "notes"], "no such file or folder"),
        (["kb", "create", "notes"], "already exists"),
        (["kb", "create", "bad", "--chunk-size", "100", "--chunk-overlap", "200"], "chunk_overlap must be smaller"),
        (["kb", "create", "bad", "--embedder", "magic:model"], "unknown embedder"),
        (["search", "   ", "--kb", "notes"], "query is empty"),
        (["eval", "retrieval", "/no/such/dataset"], "no such dataset folder"),
    ],
)
def test_user_errors_are_one_line_with_nonzero_exit(cli_env, args, message):
    ragkb(cli_env, "kb", "create", "notes", "--embedder", "none")
    result = ragkb(cli_env, *args, check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_failed_files_are_listed_and_the_rest_indexed(cli_env, docs):
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    write(docs / "notes.xyz", "unsupported but in a folder: ignored")
    ragkb(cli_env, "kb", "create", "notes", "--embedder", "none")
    result = ragkb(cli_env, "add", str(docs), str(docs / "notes.xyz"), "--kb", "notes")
    assert "added 2" in result.stdout and "failed 2" in result.stdout
    assert "broken.docx" in result.stderr and "unsupported file type '.xyz'" in result.stderr


def test_eval_retrieval_on_a_beir_folder(cli_env, tmp_path):
    dataset = tmp_path / "tiny"
    corpus = {
        "d1": ("Router", "To reset the router to factory settings, hold the reset button for 10 seconds."),
        "d2": ("Expenses", "Travel expense claims must be submitted within 30 days."),
        "d3": ("VPN", "Install the VPN client and sign in with your company account."),
        "d4": ("年假", "员工每年享有十五天带薪年假。"),
    }
    write(
        dataset / "corpus.jsonl",
        "".join(json.dumps({"_id": k, "title": t, "text": x}, ensure_ascii=False) + "\n" for k, (t, x) in corpus.items()),
    )
    queries = {"q1": "factory reset router", "q2": "deadline for expense claims", "q3": "年假有几天"}
    write(
        dataset / "queries.jsonl",
        "".join(json.dumps({"_id": k, "text": x}, ensure_ascii=False) + "\n" for k, x in queries.items()),
    )
    write(dataset / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td4\t1\n")
    result = json.loads(ragkb(cli_env, "eval", "retrieval", str(dataset), "--json").stdout)
    assert result["queries"] == 3 and set(result["results"]) == {"sparse", "dense", "hybrid"}
    assert result["results"]["hybrid"]["Hit@1"] == 1.0
    for metric in ("nDCG@10", "Hit@1", "Hit@3", "Hit@5", "Hit@10", "Recall@10", "Recall@100", "MRR@10", "MAP"):
        assert 0 <= result["results"]["sparse"][metric] <= 1
    assert json.loads(ragkb(cli_env, "kb", "list", "--json").stdout) == []  # the throwaway KB is gone
