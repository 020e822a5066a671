// Turns the JSON results of the http-cache-tests CLI into counts per kind.
//
//   node summarize.mjs RESULTS.json [REQUIRED_MIN] [OPTIMAL_MIN]
//
// Exits 1 when fewer required or optimal tests pass than the minimums given.
// As in the suite's own display: a test passes when its result is `true`; a test one of
// whose dependencies did not pass is "dependency failed" (counted as skipped here: the
// suite asks a question its dependency already answered differently), whatever its own
// result.
// The suite's main test list (tests/index.mjs) is counted; the CLI also runs the
// Surrogate-Control tests, which are reported on a separate line. `check` tests record
// behaviour, not conformance, and are only counted as yes / no.
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const here = path.dirname(new URL(import.meta.url).pathname)
const suite = path.join(here, 'node_modules', 'http-cache-tests')
const main = (await import(pathToFileURL(path.join(suite, 'tests', 'index.mjs')))).default
const surrogate = (await import(pathToFileURL(path.join(suite, 'tests', 'surrogate-control.mjs')))).default

const results = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const byId = new Map()
for (const s of [...main, surrogate]) for (const t of s.tests) byId.set(t.id, t)

// 'pass', 'fail' or 'skip' (a dependency did not pass).
function outcome (id, seen = new Set()) {
  if (seen.has(id)) return 'fail'
  seen.add(id)
  const test = byId.get(id)
  for (const dep of test?.depends_on || []) {
    if (outcome(dep, new Set(seen)) !== 'pass') return 'skip'
  }
  return results[id] === true ? 'pass' : 'fail'
}

function count (suites, label) {
  const empty = () => ({ pass: [], fail: [], skip: [] })
  const kinds = { required: empty(), optimal: empty(), check: empty() }
  for (const s of suites) {
    for (const t of s.tests) {
      if (t.browser_only) continue
      const kind = t.kind || 'required'
      kinds[kind][outcome(t.id)].push(t.id)
    }
  }
  for (const kind of ['required', 'optimal']) {
    const k = kinds[kind]
    const name = label ? `${label}-${kind}` : kind
    console.log(`${name}: ${k.pass.length} passed, ${k.fail.length} failed, ${k.skip.length} skipped`)
    if (k.fail.length) console.log(`  failing ${name}: ${k.fail.join(' ')}`)
    if (k.skip.length) console.log(`  dependency failed ${name}: ${k.skip.join(' ')}`)
  }
  const c = kinds.check
  console.log(`${label ? label + '-' : ''}check (behaviour records, not conformance): ${c.pass.length} yes, ${c.fail.length + c.skip.length} no`)
  return kinds
}

count([surrogate], 'surrogate')
const kinds = count(main, '')
fs.writeFileSync(path.join(path.dirname(process.argv[2]), 'counts.json'), JSON.stringify({
  required: { passed: kinds.required.pass.length, failed: kinds.required.fail, skipped: kinds.required.skip },
  optimal: { passed: kinds.optimal.pass.length, failed: kinds.optimal.fail, skipped: kinds.optimal.skip }
}, null, 2))

const requiredMin = parseInt(process.argv[3] || '0')
const optimalMin = parseInt(process.argv[4] || '0')
if (kinds.required.pass.length < requiredMin || kinds.optimal.pass.length < optimalMin) {
  console.log(`cache-suite: below the thresholds (required >= ${requiredMin}, optimal >= ${optimalMin})`)
  process.exit(1)
}
