// The dashboard: one Server-Sent Events stream of the demo's state, rendered
// into plain DOM. Controls are built once; only the data parts are redrawn.
// Elements carry data-* attributes (data-instance, data-entry, data-state)
// that say what they show: the browser test reads them.

const PRODUCTS = {
  1: 'Kettle',
  2: 'Toaster',
  3: 'Coffee grinder',
  4: 'French press',
  5: 'Teapot',
  6: 'Milk frother',
}

const $ = (selector, root = document) => root.querySelector(selector)
const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (character) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character],
  )
const clock = (time) => {
  const date = new Date(time)
  return `${date.toLocaleTimeString('en-GB', { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`
}
const ms = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(2)} ms`)
const percent = (hits, misses) =>
  hits + misses === 0 ? '–' : `${((hits / (hits + misses)) * 100).toFixed(1)}%`

let latest
let built = false

for (const [id, name] of Object.entries(PRODUCTS)) {
  $('#product').insertAdjacentHTML(
    'beforeend',
    `<option value="${id}">${id} · ${escapeHtml(name)}</option>`,
  )
}

// Talking to the demo.

function setStatus(text, failed = false) {
  const status = $('#status')
  status.textContent = text
  status.dataset.failed = String(failed)
}

async function post(path, body = {}) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const result = await response.json()
    if (!response.ok) throw new Error(result.error ?? `HTTP ${response.status}`)
    return result
  } catch (error) {
    setStatus(`Failed: ${error.message}`, true)
    throw error
  }
}

const selected = () => ({
  id: $('#product').value,
  region: $('#region').value,
  seconds: Number($('#fault-seconds').value) || 3,
})

async function instanceAction(index, action, input) {
  const { id, region, seconds } = selected()
  const base = `/api/instances/${index}`
  switch (action) {
    case 'update': {
      const result = await post(`${base}/update`, { id })
      setStatus(
        `instance-${index} updated product ${id}: price ${result.price.amount} ${result.price.currency}, revision ${result.product.revision}. Watch the other instances evict it.`,
      )
      return
    }
    case 'sell': {
      const result = await post(`${base}/sell`, { id })
      setStatus(`instance-${index} sold one of product ${id}: ${result.quantity} left`)
      return
    }
    case 'read-all': {
      const result = await post(`${base}/read-all`)
      setStatus(
        `instance-${index} read ${result.reads} records: ${describeSources(result.sources)}`,
      )
      return
    }
    case 'clear-region':
      await post(`${base}/clear-region`, { region })
      setStatus(`instance-${index} cleared region "${region}" on every instance`)
      return
    case 'drop':
      await post(`${base}/drop`, { seconds })
      setStatus(`instance-${index} drops every incoming frame for ${seconds} s`)
      return
    case 'traffic': {
      const readsPerSecond = input.checked ? 20 : 0
      await post(`${base}/traffic`, { readsPerSecond })
      setStatus(`instance-${index}: ${readsPerSecond ? '20 reads/s' : 'no'} background traffic`)
      return
    }
  }
}

const describeSources = (sources) =>
  `${sources.L1} from L1, ${sources.L2} from L2, ${sources.database} from the database`

async function globalAction(action) {
  const { seconds } = selected()
  switch (action) {
    case 'read-all': {
      const results = await post('/api/read-all')
      setStatus(
        `Read every record: ${results.map((result, index) => `instance-${index + 1}: ${describeSources(result.sources)}`).join('; ')}`,
      )
      return
    }
    case 'invalidate-tags': {
      const tag = $('#tag').value
      await post('/api/instances/1/invalidate-tags', { tags: [tag] })
      setStatus(`instance-1 invalidated tag ${tag}`)
      return
    }
    case 'pause':
      await post('/api/faults/pause', { seconds })
      setStatus(
        `${latest.mode.faults.pause.label} for ${seconds} s. ${latest.mode.faults.pause.note}`,
      )
      return
    case 'kill-subscribers': {
      const result = await post('/api/faults/kill-subscribers')
      setStatus(
        `${result.killed} subscriber connections killed. ${latest.mode.faults.killSubscribers.note}`,
      )
      return
    }
  }
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button')
  if (button === null || button.disabled) return
  const card = button.closest('[data-instance]')
  const run =
    card !== null && button.dataset.action
      ? instanceAction(card.dataset.instance, button.dataset.action, button)
      : button.dataset.global
        ? globalAction(button.dataset.global)
        : undefined
  if (run === undefined) return
  button.dataset.busy = 'true'
  run.catch(() => undefined).finally(() => delete button.dataset.busy)
})

document.addEventListener('change', (event) => {
  const input = event.target
  const card = input.closest('[data-instance]')
  if (card !== null && input.dataset.action === 'traffic') {
    instanceAction(card.dataset.instance, 'traffic', input).catch(() => undefined)
  }
})

// Rendering.

function buildOnce(state) {
  if (built) return
  built = true
  $('#instances').innerHTML = state.instances
    .map(
      (instance) => `
      <article class="instance" data-instance="${instance.index}">
        <header>
          <h2>${escapeHtml(instance.name)}</h2>
          <span class="where">127.0.0.1:${instance.port} · pid ${instance.pid}</span>
          <span class="badge" data-role="backplane">…</span>
          <span class="badge warn" data-role="dropping" hidden>dropping frames</span>
        </header>
        <div class="actions">
          <button type="button" data-action="update" title="Changes the product's price in the database, then writes it through this instance's cache">Update product</button>
          <button type="button" data-action="sell">Sell one</button>
          <button type="button" data-action="read-all">Read all</button>
          <button type="button" data-action="clear-region">Clear region</button>
          <button type="button" data-action="drop" title="Fault: this instance drops every frame that arrives for the seconds given above">Drop frames</button>
          <label class="traffic"><input type="checkbox" data-action="traffic" /> traffic</label>
        </div>
        <dl class="stats" data-role="stats"></dl>
        <table class="entries">
          <thead><tr><th>L1 entry</th><th>version</th><th>value</th><th>fresh for</th><th>state</th></tr></thead>
          <tbody data-role="entries"></tbody>
        </table>
      </article>`,
    )
    .join('')

  const faults = state.mode.faults
  const pause = $('#pause-button')
  pause.textContent = faults.pause.label ?? 'Pause Redis'
  pause.disabled = Boolean(faults.pause.disabled)
  pause.title = faults.pause.disabled ?? faults.pause.note
  const kill = $('#kill-button')
  kill.textContent = faults.killSubscribers.label
  kill.title = faults.killSubscribers.note
  $('#fault-note').textContent = faults.pause.disabled
    ? `Pause is off: ${faults.pause.disabled}`
    : ''

  const supportsTags = state.instances[0]?.supportsTags === true
  $('[data-global="invalidate-tags"]').disabled = !supportsTags
  $('#tags-note').textContent = supportsTags
    ? 'Every record is tagged with its brand and category.'
    : 'This build of @cacheplane/core has no invalidateTags.'
}

function render(state) {
  latest = state
  buildOnce(state)
  const mode = $('#mode')
  mode.dataset.mode = state.mode.kind
  mode.textContent =
    state.mode.kind === 'memory'
      ? `⚠ ${state.mode.description}. Start Redis or set REDIS_URL to see three real processes.`
      : `${state.mode.description}. Three Node.js processes, each: memory L1 → Redis L2, and the Redis backplane.`
  const settings = state.mode.settings
  const outage = state.outageUntil
    ? ` · Fault in progress: ${state.mode.faults.pause.label}, ends in ${((state.outageUntil - state.time) / 1000).toFixed(1)} s`
    : ''
  $('#settings').textContent =
    `Backplane: heartbeat every ${settings.heartbeatInterval} ms, silence for ${settings.heartbeatTimeout} ms = degraded, degraded L1 entries live ≤ ${settings.degradedTtl} ms. The database takes 150 ms per load.${outage}`
  $('#channel').textContent =
    `· channel ${state.tap.channel ?? ''} · dashboard subscriber ${state.tap.state}`
  for (const instance of state.instances) renderInstance(instance)
  renderFrames(state)
  renderLog(state)
}

function renderInstance(instance) {
  const card = $(`[data-instance="${instance.index}"]`)
  if (card === null) return
  const backplane = instance.stats?.backplane
  const badge = $('[data-role="backplane"]', card)
  let badgeState = 'unreachable'
  let badgeText = `not answering: ${instance.error ?? ''}`
  if (instance.reachable && backplane) {
    badgeState = backplane.state
    badgeText =
      backplane.state === 'up'
        ? 'backplane up'
        : `backplane ${backplane.state}: degraded${instance.degradedSince ? ` for ${((instance.time - instance.degradedSince) / 1000).toFixed(1)} s` : ''}`
  }
  badge.dataset.state = badgeState
  badge.textContent = badgeText
  card.dataset.backplane = badgeState
  const dropping = $('[data-role="dropping"]', card)
  dropping.hidden = !instance.droppingUntil
  if (instance.droppingUntil) {
    dropping.textContent = `dropping frames, ${((instance.droppingUntil - instance.time) / 1000).toFixed(1)} s left`
  }
  if (!instance.stats) return
  const [l1, l2] = instance.stats.handles
  const stat = (label, value, hint = '') =>
    `<div${hint ? ` title="${escapeHtml(hint)}"` : ''}><dt>${label}</dt><dd>${value}</dd></div>`
  $('[data-role="stats"]', card).innerHTML = [
    stat('L1 hit rate', percent(l1.hits, l1.misses), `${l1.hits} hits, ${l1.misses} misses`),
    stat('L1 hits / misses', `${l1.hits} / ${l1.misses}`),
    stat('L2 hit rate', percent(l2.hits, l2.misses), `${l2.hits} hits, ${l2.misses} misses`),
    stat('L2 hits / misses', `${l2.hits} / ${l2.misses}`),
    stat('database loads', instance.stats.factoryCalls),
    stat('frames sent / received', `${backplane.framesPublished} / ${backplane.framesReceived}`),
    stat('invalidations in', backplane.invalidationsReceived),
    stat('gaps detected', backplane.gapsDetected),
    stat('outbox', backplane.outboxSize, 'invalidations waiting to be published again'),
    stat(
      'other instances heard',
      `${backplane.knownSenders}${backplane.silentSenders ? ` (${backplane.silentSenders} silent)` : ''}`,
    ),
  ].join('')

  $('[data-role="entries"]', card).innerHTML =
    instance.entries.length === 0
      ? '<tr class="empty"><td colspan="5">L1 is empty. Read something.</td></tr>'
      : instance.entries.map(renderEntry).join('')
}

function renderEntry(entry) {
  const attributes = `data-entry="${escapeHtml(entry.id)}" data-state="${entry.state}" data-version="${entry.version}"`
  if (entry.state === 'evicted') {
    const announced = entry.versionAnnounced ? ` (v${entry.versionAnnounced} announced)` : ''
    return `<tr ${attributes}><td class="key">${escapeHtml(entry.id)}</td><td>v${entry.version}</td><td colspan="2" class="why">evicted at ${clock(entry.time)} by a frame from ${escapeHtml(entry.sender)}${announced}</td><td><span class="state">evicted</span></td></tr>`
  }
  if (entry.state === 'invalidated') {
    return `<tr ${attributes}><td class="key">${escapeHtml(entry.id)}</td><td>v${entry.version}</td><td colspan="2" class="why">tag ${escapeHtml(entry.tag)} invalidated by ${escapeHtml(entry.by)} at ${clock(entry.time)}: the next read misses</td><td><span class="state">invalidated</span></td></tr>`
  }
  const fresh =
    entry.ttlMs === null
      ? '∞'
      : entry.state === 'fresh'
        ? `${(entry.ttlMs / 1000).toFixed(0)} s`
        : '–'
  const tags = entry.tags?.length ? ` title="tags: ${escapeHtml(entry.tags.join(', '))}"` : ''
  return `<tr ${attributes}${tags}><td class="key">${escapeHtml(entry.id)}</td><td>v${entry.version}</td><td class="value">${escapeHtml(describeValue(entry))}</td><td>${fresh}</td><td><span class="state">${entry.state}</span></td></tr>`
}

function describeValue(entry) {
  const value = entry.value
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (entry.region === 'prices') return `${value.amount} ${value.currency}`
  if (entry.region === 'stock') return `${value.quantity} in stock`
  if (entry.region === 'products') return `${value.name} (rev ${value.revision})`
  return JSON.stringify(value)
}

function describeOperation(operation) {
  switch (operation.kind) {
    case 'changed':
      return `changed <b>${escapeHtml(operation.region ?? '')}:${operation.keys.map((key, index) => `${escapeHtml(key)}</b> v${operation.versions[index]}`).join(', <b>')}`
    case 'removed':
    case 'expired':
      return `${operation.kind} <b>${escapeHtml(operation.region ?? '')}:${operation.keys.map(escapeHtml).join(', ')}</b>`
    case 'regionCleared':
      return `region cleared <b>${operation.regions.map(escapeHtml).join(', ')}</b>`
    case 'tagsInvalidated':
      return `tags invalidated <b>${operation.tags.map(escapeHtml).join(', ')}</b>`
    default:
      return escapeHtml(operation.kind)
  }
}

function renderFrames(state) {
  const { invalidations, heartbeats } = state.propagation
  $('#propagation').innerHTML =
    `Publish → delivery on each other instance, over the last ${invalidations.count} invalidation deliveries: median <b>${ms(invalidations.medianMs)}</b>, p95 <b>${ms(invalidations.p95Ms)}</b>, max <b>${ms(invalidations.maxMs)}</b>. ` +
    `Heartbeats (hidden below): ${state.heartbeats.count} seen, median ${ms(heartbeats.medianMs)}.`
  $('#frames').innerHTML =
    state.frames.length === 0
      ? '<tr class="empty"><td colspan="6">No invalidation yet: update a product.</td></tr>'
      : state.frames
          .map((frame) => {
            const receivers = frame.receivers
              .map((receiver) =>
                receiver.dropped
                  ? `<span class="receiver dropped">${escapeHtml(receiver.name)} dropped</span>`
                  : `<span class="receiver">${escapeHtml(receiver.name)} ${ms(receiver.latencyMs)}</span>`,
              )
              .join(' ')
            const isNew = state.time - frame.time < 2_000 ? ' class="new"' : ''
            return `<tr${isNew} data-frame="${escapeHtml(frame.id)}" data-sender="${escapeHtml(frame.sender)}">
              <td>${clock(frame.time)}</td>
              <td>${escapeHtml(frame.sender)}</td>
              <td>#${frame.sequence}</td>
              <td>${frame.operations.map(describeOperation).join('<br />')}${frame.seenByDashboard ? '' : ' <span class="note">(not seen by the dashboard subscriber)</span>'}</td>
              <td>${frame.bytes}</td>
              <td>${receivers}</td>
            </tr>`
          })
          .join('')
}

function renderLog(state) {
  $('#log').innerHTML = state.log
    .map(
      (line) =>
        `<li data-kind="${escapeHtml(line.kind)}"><time>${clock(line.time)}</time> <b>${escapeHtml(line.source)}</b> ${escapeHtml(line.text)}</li>`,
    )
    .join('')
}

const stream = new EventSource('/api/stream')
stream.addEventListener('state', (event) => {
  $('#connection').hidden = true
  render(JSON.parse(event.data))
})
stream.addEventListener('error', () => {
  $('#connection').hidden = false
})
