"""The page behind a citation: a page of an indexed PDF or image file as a PNG (the boxes of a hit or
a citation are fractions of it), and the original file.

Pages are drawn from the file as it is on the server now, at most :data:`MAX_WIDTH` × :data:`MAX_HEIGHT`
pixels whatever the page's size; the original is sent inline only for PDFs and images, anything else as
an attachment under a sandboxing Content-Security-Policy, so that a cited HTML file never runs as this site
(a sandboxed PDF would not open in the browser's viewer).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated

import pymupdf
from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, Response

from ragkb.kb import KnowledgeBase
from ragkb.models import FileInfo
from ragkb.server.auth import KB
from ragkb.server.errors import ERROR_RESPONSES, error_response
from ragkb.server.paths import PublicPaths
from ragkb.server.routers.files import known_file
from ragkb.server.schemas import FileId

router = APIRouter(prefix="/api", tags=["files and jobs"], responses=ERROR_RESPONSES)

PAGED = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
"""Extensions whose files have pages to draw (PyMuPDF opens the images as one-page documents)."""
DEFAULT_WIDTH = 1200
MAX_WIDTH = 2000
MAX_HEIGHT = 3000
"""A page is drawn no taller than this, however narrow: a long receipt stays a bounded image."""
INLINE = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
SANDBOX = {"Content-Security-Policy": "sandbox", **NOSNIFF}

Page = Annotated[int, PathParameter(ge=1, le=100_000, description="the page number, from 1 (an image file has page 1)")]
Width = Annotated[int, Query(ge=100, le=MAX_WIDTH, description=f"the image's width in pixels (at most {MAX_WIDTH})")]


@router.get(
    "/kbs/{kb}/files/{file_id}/pages/{page}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "the page as a PNG image"},
        404: error_response("no such file or page, or the file is no longer on the server"),
        415: error_response("the file has no pages to draw (not a PDF or an image)"),
    },
)
def page_image(kb: KB, file_id: FileId, page: Page, width: Width = DEFAULT_WIDTH) -> Response:
    """One page of a PDF or image file as a PNG, ``width`` pixels wide (at most 3000 high): where a
    hit's or citation's ``boxes`` are, in fractions of the image."""
    info = known_file(kb, file_id)
    path = _on_disk(kb, info)
    if path.suffix.lower() not in PAGED:
        raise HTTPException(
            415,
            f"{_public(kb, info)} is a {path.suffix or 'plain'} file: only PDF and image files have pages to show; "
            f"read its text in its chunks (GET /api/kbs/{kb.name}/chunks/{{id}})",
        )
    with pymupdf.open(path) as document:
        if page > document.page_count:
            raise HTTPException(
                404, f"{_public(kb, info)} has {document.page_count} page(s); ask for page 1 to {document.page_count}"
            )
        shown = document[page - 1]
        zoom = min(width / shown.rect.width, MAX_HEIGHT / shown.rect.height)
        png = shown.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False).tobytes("png")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get(
    "/kbs/{kb}/files/{file_id}/original",
    response_class=FileResponse,
    responses={
        200: {
            "content": {kind: {} for kind in [*dict.fromkeys(INLINE.values()), "application/octet-stream"]},
            "description": "the file as it is on the server",
        },
        404: error_response("no such file, or it is no longer on the server"),
    },
)
def original_file(kb: KB, file_id: FileId) -> FileResponse:
    """The file as it was added (its current content on the server), named as the file list names it."""
    info = known_file(kb, file_id)
    path = _on_disk(kb, info)
    media_type = INLINE.get(path.suffix.lower())
    return FileResponse(
        path,
        media_type=media_type or "application/octet-stream",
        filename=PurePosixPath(_public(kb, info)).name,
        content_disposition_type="inline" if media_type else "attachment",
        headers=NOSNIFF if media_type else SANDBOX,
    )


def _public(kb: KnowledgeBase, info: FileInfo) -> str:
    return PublicPaths.of(kb).path(info.path)


def _on_disk(kb: KnowledgeBase, info: FileInfo) -> Path:
    path = Path(info.path)
    if not path.is_absolute():
        raise HTTPException(404, f"{info.path} was added from Python as text: there is no file to show")
    if not path.is_file():
        raise HTTPException(404, f"{_public(kb, info)} is no longer on the server; add it again to show it")
    return path
