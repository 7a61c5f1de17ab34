"""Files of a knowledge base (upload, list, delete, re-index) and the ingestion jobs they start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile

from ragkb.errors import KnowledgeBaseNotFound
from ragkb.kb import KnowledgeBase
from ragkb.models import FileInfo, Job
from ragkb.server.auth import KB, Caller, require_kb
from ragkb.server.deps import app_state
from ragkb.server.errors import ERROR_RESPONSES, error_response
from ragkb.server.jobs import KEEP_FINISHED
from ragkb.server.paths import PublicPaths
from ragkb.server.schemas import FileId, JobAccepted, UploadAccepted
from ragkb.server.uploads import remove_upload, save_uploads
from ragkb.uploads import upload_folder

router = APIRouter(prefix="/api", tags=["files and jobs"], responses=ERROR_RESPONSES)


def known_file(kb: KnowledgeBase, file_id: int) -> FileInfo:
    info = kb.file(file_id)
    if info is None:
        raise HTTPException(
            404, f"knowledge base '{kb.name}' has no file with id {file_id}; list them: GET /api/kbs/{kb.name}/files"
        )
    return info


@router.get("/kbs/{kb}/files", response_model=list[FileInfo])
def list_files(kb: KB) -> list[dict]:
    """Indexed and failed files with their chunk counts and errors."""
    return PublicPaths.of(kb).body([info.model_dump(mode="json") for info in kb.files()])


@router.post(
    "/kbs/{kb}/files",
    response_model=UploadAccepted,
    status_code=202,
    responses={413: error_response("a file is over RAGKB_MAX_UPLOAD_MB"), 415: error_response("unsupported file type")},
)
def upload_files(kb: KB, request: Request, files: Annotated[list[UploadFile], File(description="one or more documents")]) -> dict:
    """Store the files and index them in the background; poll the job for progress."""
    state = app_state(request)
    max_bytes = int(state.settings.max_upload_mb * 2**20)
    paths = save_uploads(files, upload_folder(state.settings.home, kb.id), max_bytes)
    job = state.jobs.submit(kb.name, paths)
    return {"job_id": job.id, "files": [path.name for path in paths]}


@router.delete("/kbs/{kb}/files/{file_id}", status_code=204, response_class=Response)
def delete_file(kb: KB, file_id: FileId) -> Response:
    """Remove the file and its chunks (and the uploaded copy, if it was uploaded)."""
    info = known_file(kb, file_id)
    kb.remove_file(file_id)
    remove_upload(kb, info.path)
    return Response(status_code=204)


@router.post("/kbs/{kb}/files/{file_id}/reindex", response_model=JobAccepted, status_code=202)
def reindex_file(kb: KB, file_id: FileId, request: Request) -> dict:
    """Index the file again from its stored copy, even if it did not change."""
    info = known_file(kb, file_id)
    job = app_state(request).jobs.submit(kb.name, [Path(info.path)], force=True)
    return {"job_id": job.id}


@router.get("/jobs/{job_id}", response_model=Job)
def get_job(job_id: str, request: Request, caller: Caller) -> dict:
    """Progress of an ingestion job: files done of total, then the report."""
    job = app_state(request).jobs.get(job_id)
    if job is None:
        raise HTTPException(
            404, f"no job {job_id} (the server keeps the last {KEEP_FINISHED} finished jobs); check the file list"
        )
    require_kb(caller, job.kb)
    return job_paths(job.kb, request).body(job.model_dump(mode="json"))


def job_paths(kb: str, request: Request) -> PublicPaths:
    """How the job's KB shows paths; a deleted KB's job shows only file names."""
    settings = app_state(request).settings
    try:
        return PublicPaths.of(KnowledgeBase.open(kb, settings=settings))
    except KnowledgeBaseNotFound:
        return PublicPaths(settings.home)
