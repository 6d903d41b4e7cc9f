// Plain SVG bar charts for RESULTS.md and the README: horizontal bars, one row
// per system, one bar per series (e.g. p50 and p99), values printed at the end
// of each bar. No dependency, no script, readable on GitHub.

const kindColors = { raw: '#8a8f98', cacheplane: '#2563eb', peer: '#ea7a1a' }
// The second series of a row is drawn in a lighter shade of the row's colour.
const lightColors = { raw: '#c9ccd1', cacheplane: '#9cc0fb', peer: '#f5c08f' }
const kindLabels = { raw: 'raw baseline', cacheplane: 'cacheplane', peer: 'peer' }

/**
 * @typedef {object} ChartRow
 * @property {string} label
 * @property {'raw' | 'cacheplane' | 'peer'} kind
 * @property {number[]} values One per series.
 */

/**
 * @typedef {object} ChartSpec
 * @property {string} file Name under benchmarks/charts/.
 * @property {string} title
 * @property {string} unit Shown after each value, e.g. 'ops/s', 'µs', 'B'.
 * @property {string[]} series
 * @property {ChartRow[]} rows
 * @property {string} [note] A line under the chart (e.g. 'higher is better').
 * @property {number} [digits] Decimals for the printed values.
 */

function escapeXml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

function compact(value, digits) {
  if (!Number.isFinite(value)) return 'n/a'
  const absolute = Math.abs(value)
  if (absolute >= 1e9) return `${(value / 1e9).toFixed(2)}G`
  if (absolute >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (absolute >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  return value.toFixed(digits ?? (absolute < 10 ? 2 : absolute < 100 ? 1 : 0))
}

/**
 * Renders a chart to an SVG string.
 * @param {ChartSpec} spec
 */
export function barChart(spec) {
  const longest = Math.max(...spec.rows.map((row) => row.label.length))
  const labelWidth = Math.min(440, Math.max(200, Math.round(longest * 7.6) + 20))
  const valueWidth = 120
  const width = labelWidth + 560
  const plotWidth = width - labelWidth - valueWidth - 20
  const barHeight = 16
  const barGap = 3
  const rowGap = 12
  const top = 58
  const multi = spec.series.length > 1
  const rowHeight = spec.series.length * (barHeight + barGap) - barGap
  const height = top + spec.rows.length * (rowHeight + rowGap) + 40
  const finite = spec.rows.flatMap((row) => row.values).filter((value) => value > 0)
  const max = Math.max(...finite, 0) || 1
  const min = Math.min(...finite, max)
  // Figures that span orders of magnitude get a log scale, or the small bars vanish.
  const log = max / min > 30
  const floor = log ? 10 ** Math.floor(Math.log10(min)) : 0
  const scale = (value) =>
    log ? Math.log10(value / floor) / Math.log10((max * 1.05) / floor) : value / max
  const title = log ? `${spec.title} (log scale)` : spec.title

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600" fill="#111827">${escapeXml(title)}</text>`,
  ]
  // Legend: the kinds of system present; with two series, which shade is which.
  const legend = [...new Set(spec.rows.map((row) => row.kind))].map((kind) => [
    kindLabels[kind],
    kindColors[kind],
  ])
  let legendX = 12
  for (const [name, color] of legend) {
    parts.push(`<rect x="${legendX}" y="36" width="12" height="12" fill="${color}"/>`)
    parts.push(`<text x="${legendX + 17}" y="46" fill="#374151">${escapeXml(name)}</text>`)
    legendX += 30 + name.length * 7.5
  }
  if (multi) {
    const shades = spec.series.map((name, index) => `${index === 0 ? 'dark' : 'light'}: ${name}`)
    parts.push(
      `<text x="${legendX + 10}" y="46" fill="#374151">${escapeXml(shades.join(', '))}</text>`,
    )
  }
  let y = top
  for (const row of spec.rows) {
    const labelY = y + rowHeight / 2 + 4
    const weight = row.kind === 'cacheplane' ? ' font-weight="600"' : ''
    parts.push(
      `<text x="${labelWidth - 8}" y="${labelY}" text-anchor="end" fill="#111827"${weight}>${escapeXml(row.label)}</text>`,
    )
    row.values.forEach((value, index) => {
      const barY = y + index * (barHeight + barGap)
      const color = index === 0 ? kindColors[row.kind] : lightColors[row.kind]
      const barWidth = value > 0 ? Math.max(1, scale(value) * plotWidth) : 0
      parts.push(
        `<rect x="${labelWidth}" y="${barY}" width="${barWidth.toFixed(1)}" height="${barHeight}" fill="${color}" rx="2"/>`,
      )
      parts.push(
        `<text x="${labelWidth + barWidth + 6}" y="${barY + barHeight - 4}" fill="#374151">${escapeXml(`${compact(value, spec.digits)} ${spec.unit}`)}</text>`,
      )
    })
    y += rowHeight + rowGap
  }
  parts.push(
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${y - rowGap + 4}" stroke="#9ca3af"/>`,
  )
  if (spec.note) {
    parts.push(`<text x="12" y="${height - 14}" fill="#6b7280">${escapeXml(spec.note)}</text>`)
  }
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
