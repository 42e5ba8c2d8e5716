import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import type { FieldView, Report, ReportedFinding, RowPair, SnapshotReport } from './report-model.ts'

/**
 * The `.html` report: one self-contained page for people who would rather look than read. A
 * summary per snapshot and model, then every finding with its left and right rows side by side:
 * changed fields highlighted, the fields the finding is about marked, scrubbed fields labelled with
 * the comparators that scrubbed them, secrets only in their shortened form (the report model has
 * shortened them already). Styles and script are inline and a Content-Security-Policy forbids
 * every fetch, so the file opens anywhere, offline, and never calls out. Everything from the data
 * is HTML-escaped.
 */
export function formatHtmlReport(report: Report): string {
  const findings = report.snapshots.reduce((sum, s) => sum + s.findings.length, 0)
  const stale = report.snapshots.reduce((sum, s) => sum + s.stale.length, 0)
  const failed = report.snapshots.filter((s) => !s.passed).length
  const verdict = report.passed ? 'PASS' : 'FAIL'
  const title = `roundtrip ${report.command}: ${verdict} (${plural(findings, 'finding')})`
  const noun = report.command === 'check' ? 'snapshot' : 'comparison'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top ${report.passed ? 'pass' : 'fail'}">
<h1>roundtrip ${esc(report.command)} ${badge(report.passed)}</h1>
<p class="totals"><strong id="finding-count" data-count="${findings}">${findings}</strong> ${findings === 1 ? 'finding' : 'findings'}${stale > 0 ? ` · <strong id="stale-count" data-count="${stale}">${stale}</strong> stale ${stale === 1 ? 'expectation' : 'expectations'}` : ''} · ${failed} of ${plural(report.snapshots.length, noun)} failed</p>
<p class="meta">generated ${esc(report.generatedAt)}${report.server ? ` · database: ${esc(report.server)}` : ''}</p>
<label class="toggle"><input type="checkbox" id="only-changed"> in the rows, show only changed, scrubbed and named fields</label>
</header>
<main>
${report.snapshots.length > 1 ? overview(report.snapshots) : ''}
${report.snapshots.map((snapshot, index) => snapshotSection(snapshot, `s${index + 1}`)).join('\n')}
</main>
<footer>Secrets (fields an obfuscating comparator covers) are shown only in the comparator's shortened form.</footer>
<script>${SCRIPT}</script>
</body>
</html>
`
}

function overview(snapshots: readonly SnapshotReport[]): string {
  const rows = snapshots.map(
    (s, index) =>
      `<tr class="${s.passed ? 'pass' : 'fail'}"><td>${badge(s.passed)}</td><td><a href="#s${index + 1}">${esc(s.name)}</a></td><td class="num">${s.findings.length}</td><td class="num">${s.stale.length}</td><td class="num">${s.accepted.length}</td></tr>`,
  )
  return `<section class="overview"><h2>Snapshots</h2><table class="counts"><thead><tr><th></th><th>snapshot</th><th class="num">findings</th><th class="num">stale expectations</th><th class="num">accepted</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`
}

function snapshotSection(snapshot: SnapshotReport, id: string): string {
  const firstFinding = new Map<string, string>()
  const problems = [...snapshot.findings, ...snapshot.stale]
  problems.forEach((reported, index) => {
    const model = reported.finding.on.model
    if (!firstFinding.has(model)) firstFinding.set(model, `${id}-f${index + 1}`)
  })
  const facts = [
    ['left', snapshot.left],
    ['right', snapshot.right],
    ...(snapshot.expectationsFile ? [['expectations', snapshot.expectationsFile]] : []),
    ['rows', `${snapshot.rows.left} left, ${snapshot.rows.right} right`],
    ...(snapshot.durationMs === undefined
      ? []
      : [['time', `${(snapshot.durationMs / 1000).toFixed(2)} s`]]),
  ]
  const summary = [
    plural(snapshot.findings.length, 'finding'),
    plural(snapshot.stale.length, 'stale expectation'),
    plural(snapshot.accepted.length, 'accepted finding'),
  ].join(' · ')
  return `<section class="snapshot ${snapshot.passed ? 'pass' : 'fail'}" id="${id}" data-snapshot>
<h2>${badge(snapshot.passed)} <span class="name">${esc(snapshot.name)}</span></h2>
<p class="summary">${summary}</p>
<dl class="facts">${facts.map(([term, value]) => `<dt>${esc(term!)}</dt><dd>${esc(value!)}</dd>`).join('')}</dl>
${countsTable(snapshot, firstFinding)}
${findingSection('Findings', snapshot.findings, id, 0, snapshot, 'finding')}
${findingSection('Stale expectations', snapshot.stale, id, snapshot.findings.length, snapshot, 'stale')}
${acceptedSection(snapshot.accepted)}
</section>`
}

function countsTable(snapshot: SnapshotReport, firstFinding: ReadonlyMap<string, string>): string {
  const problems = [...snapshot.findings, ...snapshot.stale]
  const rows = snapshot.counts.models.map((m) => {
    const count = problems.filter((r) => r.finding.on.model === m.model).length
    const scrubbed = snapshot.counts.scrubbed
      .filter((s) => s.model === m.model)
      .map(
        (s) =>
          `<span class="scrub"><span class="field">${esc(s.field)}</span> by ${esc(s.comparator)} <span class="times">×${s.instances}</span></span>`,
      )
      .join('')
    const link = firstFinding.get(m.model)
    const findings = count > 0 && link ? `<a href="#${link}">${count}</a>` : String(count)
    return `<tr class="${count > 0 ? 'has-findings' : ''}"><td class="model">${esc(m.model)}</td><td class="num">${m.leftInstances}</td><td class="num">${m.rightInstances}</td><td class="num">${m.comparedInstances}</td><td class="num">${m.comparedFields}</td><td class="scrubs">${scrubbed}</td><td class="num findings">${findings}</td></tr>`
  })
  return `<table class="counts models"><thead><tr><th>model</th><th class="num">left</th><th class="num">right</th><th class="num">instances compared</th><th class="num">fields compared</th><th>scrubbed by comparators</th><th class="num">findings</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function findingSection(
  title: string,
  list: readonly ReportedFinding[],
  id: string,
  offset: number,
  snapshot: SnapshotReport,
  kind: 'finding' | 'stale',
): string {
  if (list.length === 0) return ''
  const cards = list.map((reported, index) =>
    findingCard(reported, `${id}-f${offset + index + 1}`, snapshot, kind),
  )
  return `<h3>${esc(title)} (${list.length})</h3>\n${cards.join('\n')}`
}

function findingCard(
  reported: ReportedFinding,
  id: string,
  snapshot: SnapshotReport,
  kind: 'finding' | 'stale',
): string {
  const { finding, pair } = reported
  const pks = [
    ...(finding.left_pk !== null ? [`left pk ${finding.left_pk}`] : []),
    ...(finding.right_pk !== null ? [`right pk ${finding.right_pk}`] : []),
  ].join(' · ')
  return `<article class="finding ${kind}" id="${id}" data-${kind}>
<header><span class="kind">${esc(finding.kind)}</span> <span class="on">${esc(instance(finding))}</span>${pks ? ` <span class="pks">${esc(pks)}</span>` : ''}</header>
${reason(finding)}
${pair ? pairTable(pair, snapshot) : '<p class="no-rows">No rows to show for this finding.</p>'}
</article>`
}

function reason(finding: ComparatorFinding): string {
  const text = finding.reason.replace(/^\n/, '')
  if (finding.kind !== 'UnequalJSON') return `<pre class="reason">${esc(text)}</pre>`
  // The final diff: its removed and added lines coloured as in a code review. Sentry's text has
  // an empty line after each header line, which says nothing here.
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^ {4}/, ''))
    .filter((line) => line !== '')
    .map((line) => {
      const cls = /^(---|\+\+\+)( |$)/.test(line)
        ? 'file'
        : line.startsWith('@@')
          ? 'hunk'
          : line.startsWith('-')
            ? 'del'
            : line.startsWith('+')
              ? 'ins'
              : ''
      return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line)
    })
  return `<pre class="reason diff">${lines.join('\n')}</pre>`
}

function pairTable(pair: RowPair, snapshot: SnapshotReport): string {
  const missing = [
    ...(pair.leftFound
      ? []
      : [`the left side has no ${pair.model} row with pk ${pair.leftPk ?? '(none)'}`]),
    ...(pair.rightFound
      ? []
      : [`the right side has no ${pair.model} row with pk ${pair.rightPk ?? '(none)'}`]),
  ]
  const rows = pair.fields.map(fieldRow).join('')
  return `${missing.map((m) => `<p class="missing">${esc(m)}</p>`).join('')}<table class="pair"><colgroup><col class="c-field"><col class="c-side"><col class="c-side"></colgroup><thead><tr><th>field</th><th>left <span class="side">${esc(snapshot.left)}</span></th><th>right <span class="side">${esc(snapshot.right)}</span></th></tr></thead><tbody>${rows}</tbody></table>`
}

function fieldRow(field: FieldView): string {
  const classes = [
    field.named ? 'named' : '',
    field.changed ? 'changed' : 'same',
    field.scrubbedBy ? 'scrubbed' : '',
    field.shortened ? 'secret' : '',
  ].filter(Boolean)
  const tags = [
    ...(field.named ? ['<span class="tag named-tag">this finding</span>'] : []),
    ...(field.changed ? ['<span class="tag changed-tag">changed</span>'] : []),
    ...(field.scrubbedBy
      ? [
          `<span class="tag scrubbed-tag" title="taken out of the final diff by ${esc(field.scrubbedBy)}">scrubbed by ${esc(field.scrubbedBy)}</span>`,
        ]
      : []),
    ...(field.shortened
      ? [
          '<span class="tag secret-tag" title="a secret: shown only in its shortened form">secret, shortened</span>',
        ]
      : []),
  ]
  const cell = (value: string | undefined) =>
    value === undefined ? '<td class="absent">absent</td>' : `<td><pre>${esc(value)}</pre></td>`
  return `<tr class="${classes.join(' ')}"><th><code>${esc(field.name)}</code>${tags.join('')}</th>${cell(field.left)}${cell(field.right)}</tr>`
}

function acceptedSection(accepted: readonly ReportedFinding[]): string {
  if (accepted.length === 0) return ''
  const items = accepted.map(
    ({ finding }) =>
      `<li><span class="kind">${esc(finding.kind)}</span> ${esc(instance(finding))}<pre class="reason">${esc(finding.reason.replace(/^\n/, ''))}</pre></li>`,
  )
  return `<details class="accepted"><summary>Accepted by the expectations (${accepted.length})</summary><ul>${items.join('')}</ul></details>`
}

function instance(finding: ComparatorFinding): string {
  return `${finding.on.model}${finding.on.ordinal ? ` #${finding.on.ordinal}` : ''}`
}

function badge(passed: boolean): string {
  return passed
    ? '<span class="verdict pass">PASS</span>'
    : '<span class="verdict fail">FAIL</span>'
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** Text and attribute values: every character HTML could read as markup is a reference. */
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STYLE = `
:root { color-scheme: light; --fail: #b42318; --fail-bg: #fef3f2; --pass: #067647; --pass-bg: #ecfdf3;
  --changed: #fff4c2; --named: #ffe1dc; --muted: #667085; --line: #e4e7ec; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #101828; background: #f9fafb; }
header.top { padding: 16px 24px; background: #fff; border-bottom: 4px solid var(--line); }
header.top.fail { border-bottom-color: var(--fail); }
header.top.pass { border-bottom-color: var(--pass); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { font-size: 18px; margin: 0 0 6px; word-break: break-all; }
h3 { font-size: 15px; margin: 20px 0 8px; }
.totals { margin: 4px 0; font-size: 15px; }
.meta, .summary, footer, .side { color: var(--muted); }
.meta { margin: 0 0 8px; font-size: 12px; }
.toggle { font-size: 13px; user-select: none; }
main { padding: 16px 24px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 20px; }
section.snapshot.fail { border-left: 4px solid var(--fail); }
section.snapshot.pass { border-left: 4px solid var(--pass); }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; vertical-align: middle; }
.verdict.pass { color: var(--pass); background: var(--pass-bg); }
.verdict.fail { color: var(--fail); background: var(--fail-bg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 12px; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f2f4f7; font-weight: 600; font-size: 12px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
table.counts { font-size: 13px; }
table.counts tr.has-findings { background: var(--fail-bg); }
table.counts td.findings a { color: var(--fail); font-weight: 700; }
td.model { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.scrub { display: inline-block; margin: 0 8px 2px 0; padding: 0 6px; border-radius: 4px; background: #eef4ff; font-size: 12px; }
.scrub .field { font-family: ui-monospace, monospace; }
.times { color: var(--muted); }
article.finding { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0 16px; overflow: hidden; }
article.finding > header { padding: 6px 10px; background: var(--fail-bg); border-bottom: 1px solid var(--line); }
article.finding.stale > header { background: #fffaeb; }
.kind { font-weight: 700; color: var(--fail); }
article.stale .kind { color: #b54708; }
.on { font-family: ui-monospace, monospace; }
.pks { color: var(--muted); font-size: 12px; margin-left: 6px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre.reason { padding: 8px 10px; background: #fcfcfd; border-bottom: 1px solid var(--line); }
pre.diff .del { color: #b42318; background: #fee4e2; display: inline-block; width: 100%; }
pre.diff .ins { color: #067647; background: #dcfae6; display: inline-block; width: 100%; }
pre.diff .hunk { color: #6941c6; }
pre.diff .file { color: var(--muted); }
table.pair { table-layout: fixed; font-size: 12px; }
table.pair col.c-field { width: 22%; }
table.pair col.c-side { width: 39%; }
table.pair th .side { font-weight: 400; }
table.pair tbody th { font-weight: 400; }
table.pair tbody th code { font-weight: 600; }
tr.changed td, tr.changed th { background: var(--changed); }
tr.scrubbed.changed td, tr.scrubbed.changed th { background: #fffbe8; }
table.pair tr.named td, table.pair tr.named th { background: var(--named); }
tr.named th { box-shadow: inset 4px 0 0 var(--fail); }
tr.scrubbed td pre { color: #475467; }
td.absent { color: var(--muted); font-style: italic; }
.tag { display: inline-block; margin: 2px 0 0 6px; padding: 0 5px; border-radius: 4px; font-size: 10px; font-weight: 600; white-space: nowrap; }
.named-tag { background: var(--fail); color: #fff; }
.changed-tag { background: #fdb022; color: #3d2a00; }
.scrubbed-tag { background: #d1e0ff; color: #1e3a8a; }
.secret-tag { background: #101828; color: #fff; }
body.only-changed tr.same:not(.scrubbed):not(.named) { display: none; }
.missing, .no-rows { margin: 6px 10px; color: var(--muted); font-style: italic; }
details.accepted { margin-top: 12px; }
details.accepted li { margin: 6px 0; }
footer { padding: 0 24px 24px; font-size: 12px; }
`

const SCRIPT = `
(function () {
  var toggle = document.getElementById('only-changed');
  if (toggle) toggle.addEventListener('change', function () {
    document.body.classList.toggle('only-changed', toggle.checked);
  });
})();
`
