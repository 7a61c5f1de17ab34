// How a table answer was reached (Answer.analysis, route, computations, sql): the question's type,
// its entities (company, year, metric, formula) and route; each formula computed, with its operands
// and the table cells they were read from; the SQL a model wrote. Open by default for a computed answer.

import { h } from "./dom.js";
import { baseName, t } from "./i18n.js";

const list = (items) => (items.length ? items.join(", ") : null);

/** The question's fields that were found, as [label, value] pairs. */
function questionFields(analysis, route) {
  const companies = analysis.companies.map((c) => [c.name, c.code && `(${c.code})`].filter(Boolean).join(" "));
  const relative = analysis.relative_years.map((offset) => t("analysis.relativeYear", { offset: offset > 0 ? `+${offset}` : offset }));
  const years = [...analysis.years.map(String), ...relative];
  return [
    ["type", t(`analysis.type.${analysis.type}`)],
    ["company", list(companies)],
    ["year", list(years)],
    ["metric", list(analysis.metrics.map((m) => m.name))],
    ["formula", list(analysis.formulas.map((f) => f.definition))],
    ["route", t(`analysis.route.${route ?? analysis.route}`)],
  ].filter(([, value]) => value);
}

/** The citation of the cell an operand was read from: same metric and year. */
function operandCell(operand, citations) {
  return citations.find((c) => c.cell && c.cell.metric === operand.metric && c.cell.year === operand.year);
}

function computationView(computation, citations, cite) {
  const rows = computation.operands.map((operand) => {
    const citation = operandCell(operand, citations);
    const value = citation ? citation.cell.raw_text : operand.value == null ? "—" : operand.value.toLocaleString();
    return h("tr", {}, h("td", {}, operand.name), h("td", { class: "number" }, value), h("td", {}, citation && cite(citation)));
  });
  return h(
    "div",
    { class: "computation" },
    h("div", { class: "computation-result" }, `${computation.name} = ${computation.display ?? "—"}`),
    h("code", { class: "computation-expression" }, computation.expression),
    computation.error && h("p", { class: "error-text small" }, computation.error),
    h("table", { class: "operands" }, h("thead", {}, h("tr", {}, ["operand", "value", "cell"].map((k) => h("th", {}, t(`analysis.${k}`))))), h("tbody", {}, rows)),
  );
}

function cellsView(citations, cite) {
  const cells = citations.filter((c) => c.cell);
  if (!cells.length) return null;
  const head = ["cite", "table", "row", "column", "printed", "file"].map((k) => h("th", {}, t(`analysis.cells.${k}`)));
  const rows = cells.map((c) => {
    const where = [baseName(c.file), c.page != null && t("source.pageShort", { page: c.page })].filter(Boolean).join(" · ");
    return h(
      "tr",
      {},
      h("td", {}, cite(c)),
      h("td", {}, c.section.join(" › ") || "—"),
      h("td", { class: "cell-row" }, c.cell.row_label),
      h("td", { class: "cell-column" }, c.cell.column_header),
      h("td", { class: "number cell-printed" }, c.cell.raw_text),
      h("td", {}, where),
    );
  });
  return [h("h4", {}, t("analysis.cells")), h("div", { class: "table-scroll" }, h("table", { class: "cells" }, h("thead", {}, h("tr", {}, head)), h("tbody", {}, rows)))];
}

/** Whether the analysis says anything about tables: a table route, or a company, metric or formula found. */
function aboutTables(analysis, route) {
  const found = analysis.companies.length + analysis.metrics.length + analysis.formulas.length;
  return found > 0 || (route ?? analysis.route) !== "text";
}

/** The analysis of `answer` (null when the question was not analysed, or is plainly a text question);
 * `cite(citation)` makes a [n] button. */
export function analysisView(answer, cite) {
  const analysis = answer.analysis;
  if (!analysis || !aboutTables(analysis, answer.route)) return null;
  const citations = answer.citations || [];
  const computations = answer.computations || [];
  const fields = questionFields(analysis, answer.route);
  const summary = t("analysis.summary", { type: t(`analysis.type.${analysis.type}`), route: t(`analysis.route.${answer.route ?? analysis.route}`) });
  return h(
    "details",
    { class: "analysis", open: computations.length > 0 },
    h("summary", {}, summary),
    h("dl", { class: "analysis-fields" }, fields.map(([key, value]) => [h("dt", {}, t(`analysis.${key}`)), h("dd", { dataset: { field: key } }, value)])),
    computations.length > 0 && [h("h4", {}, t("analysis.computed")), computations.map((c) => computationView(c, citations, cite))],
    cellsView(citations, cite),
    answer.sql && [h("h4", {}, t("analysis.sql")), h("pre", { class: "sql" }, h("code", {}, answer.sql))],
  );
}
