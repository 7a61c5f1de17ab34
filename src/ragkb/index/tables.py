"""The table store: the tables found in a knowledge base's files, as rows of the catalog database
(``doc_table``, ``table_cell``), so that a value is read from its cell instead of from a chunk.

Every store keeps it in its catalog (SQLite or PostgreSQL, also behind Qdrant). A file's tables
are written in the transaction that writes its chunks and go with its catalog row (foreign keys
with ON DELETE CASCADE), so a deleted file or knowledge base leaves none behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import DocTableRow, FileRow, TableCellRow
from ragkb.index.table_cells import table_cells
from ragkb.models import ExtractedTable, PageBox, TableCell, TableInfo
from ragkb.tables.companies import Company
from ragkb.tables.numbers import find_unit
from ragkb.tables.statements import classify_statement


class TableStore:
    """Writes and reads the table store through the caller's session (one transaction)."""

    def write_file_tables(
        self,
        session: Session,
        kb_id: int,
        file_id: int,
        tables: list[ExtractedTable],
        *,
        company: Company | None = None,
        report_year: int | None = None,
    ) -> int:
        """Replace the file's tables with ``tables``; returns the number of cells written.

        ``company`` is the company whose report the file is, ``report_year`` the year it reports
        on (本期/上期 columns are resolved with it)."""
        self.delete_file_tables(session, kb_id, file_id)
        written = 0
        for index, table in enumerate(tables):
            kind = classify_statement(table.title)
            unit = find_unit(table.unit) or find_unit(table.title)
            table_id = session.execute(
                insert(DocTableRow)
                .values(
                    kb_id=kb_id,
                    file_id=file_id,
                    page=table.page,
                    page_end=table.page_end,
                    table_index=index,
                    title=table.title,
                    statement=kind.kind,
                    scope=kind.scope,
                    unit=unit.symbol if unit else None,
                    headers=table.header,
                    company=company.name if company else None,
                    company_short=company.short_names[0] if company and company.short_names else None,
                    company_code=company.code if company else None,
                )
                .returning(DocTableRow.id)
            ).scalar_one()
            cells = [
                {"table_id": table_id, "kb_id": kb_id, "file_id": file_id, **vars(cell)}
                for cell in table_cells(table, report_year)
            ]
            if cells:
                session.execute(insert(TableCellRow), cells)
            written += len(cells)
        return written

    def delete_file_tables(self, session: Session, kb_id: int, file_id: int) -> None:
        session.execute(delete(TableCellRow).where(TableCellRow.kb_id == kb_id, TableCellRow.file_id == file_id))
        session.execute(delete(DocTableRow).where(DocTableRow.kb_id == kb_id, DocTableRow.file_id == file_id))

    def cells(
        self,
        session: Session,
        kb_id: int,
        *,
        metrics: Iterable[str] | None = None,
        years: Iterable[int] | None = None,
        file_ids: Iterable[int] | None = None,
        scope: str | None = None,
        companies: Iterable[str] | None = None,
    ) -> list[TableCell]:
        """Cells of the knowledge base, narrowed by metric ids, years, files, scope (consolidated |
        parent; a table whose scope is unknown is kept) and company names, in file, table and row order."""
        query = (
            select(TableCellRow, DocTableRow, FileRow.path)
            .join(DocTableRow, TableCellRow.table_id == DocTableRow.id)
            .join(FileRow, TableCellRow.file_id == FileRow.id)
            .where(TableCellRow.kb_id == kb_id)
        )
        if metrics is not None:
            query = query.where(TableCellRow.metric.in_(list(metrics)))
        if years is not None:
            query = query.where(TableCellRow.year.in_(list(years)))
        if file_ids is not None:
            query = query.where(TableCellRow.file_id.in_(list(file_ids)))
        if scope is not None:
            query = query.where((DocTableRow.scope == scope) | DocTableRow.scope.is_(None))
        if companies is not None:
            query = query.where(DocTableRow.company.in_(list(companies)))
        query = query.order_by(TableCellRow.file_id, DocTableRow.table_index, TableCellRow.row_index, TableCellRow.column_index)
        return [
            TableCell(
                table_id=cell.table_id,
                file=path,
                file_id=cell.file_id,
                page=cell.page,
                row_index=cell.row_index,
                column_index=cell.column_index,
                row_label=cell.row_label,
                column_header=cell.column_header,
                raw_text=cell.raw_text,
                value=cell.value,
                unit=cell.unit,
                metric=cell.metric,
                year=cell.year,
                period=cell.period,
                title=table.title,
                statement=table.statement,
                scope=table.scope,
                company=table.company,
                boxes=[
                    PageBox(page=page, x0=x0, y0=y0, x1=x1, y1=y1, start=0, end=0) for page, x0, y0, x1, y1 in cell.boxes or []
                ],
            )
            for cell, table, path in session.execute(query)
        ]

    def tables(self, session: Session, kb_id: int) -> list[TableInfo]:
        query = (
            select(DocTableRow, FileRow.path)
            .join(FileRow, DocTableRow.file_id == FileRow.id)
            .where(DocTableRow.kb_id == kb_id)
            .order_by(DocTableRow.file_id, DocTableRow.table_index)
        )
        return [
            TableInfo(
                id=table.id,
                file=path,
                page=table.page,
                page_end=table.page_end,
                table_index=table.table_index,
                title=table.title,
                statement=table.statement,
                scope=table.scope,
                unit=table.unit,
                headers=table.headers,
                company=table.company,
            )
            for table, path in session.execute(query)
        ]

    def companies(self, session: Session, kb_id: int) -> list[Company]:
        """The companies whose reports the knowledge base holds, by name."""
        rows = session.execute(
            select(DocTableRow.company, DocTableRow.company_short, DocTableRow.company_code)
            .where(DocTableRow.kb_id == kb_id, DocTableRow.company.is_not(None))
            .distinct()
        )
        known: dict[str, Company] = {}
        for name, short, code in rows:
            assert name is not None  # the query leaves tables without a company out
            company = known.setdefault(name, Company(name=name))
            if short and short not in company.short_names:
                company.short_names.append(short)
            company.code = company.code or code
        return sorted(known.values(), key=lambda company: company.name)
