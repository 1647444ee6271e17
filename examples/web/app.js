// The example page's logic (examples/web/index.html): plain browser JavaScript, no build step.
// One submission = one Idempotency-Key, reused if the same submission is retried (after a 503 or a network
// error), so a retry never makes a second job. Errors are shown as a person would want them: a 400 names
// the field (and marks its input), a 503 says when to come back and comes back by itself.

/** `?wait=` of the long poll: the API's maximum (service/jobs/timing.ts MAX_POLL_WAIT_S). */
const WAIT_S = 20;
const FINISHED = ["succeeded", "failed", "canceled"];
const FIELDS = ["width", "height", "maxIterations"];

const $ = (id) => document.getElementById(id);
const form = $("render");
const button = $("submit");
const statusLine = $("status");
const bar = $("progress");
let config;

function say(text, isError = false) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

/** A job's result URL, absolute: already so on AWS (the CDN), a path on a local service. */
function resultUrl(url) {
  return new URL(url, config.resultUrlBase ?? config.apiUrl).href;
}

/** What the API said, for a person: the field of a 400 marked, the wait of a 503 counted. */
async function explain(res) {
  let body = {};
  try {
    body = await res.json();
  } catch {}
  const message = body.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 400) {
    // The API names the field: "body/input/width must be <= 8192".
    const field = FIELDS.find((f) => new RegExp(`input/${f}\\b`).test(message));
    if (field) $(field).setAttribute("aria-invalid", "true");
    const label = field ? $(field).closest("label").firstChild.textContent.trim() : "Your input";
    return { text: `${label}: ${message.replace(/^body\/input\/\w+ /, "")} (the API said: ${message})` };
  }
  // 503: the service is busy; 429: this address already has its share of work queued. Both say when.
  if (res.status === 503 || res.status === 429) {
    const retryAfterS = Math.max(1, Number(res.headers.get("retry-after")) || 5);
    return { text: `The service is busy (${message}).`, retryAfterS };
  }
  return { text: `The API answered ${res.status}: ${message}` };
}

async function countdown(seconds, text) {
  for (let left = seconds; left > 0; left--) {
    say(`${text} Trying again in ${left} s…`, true);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A busy service is retried this many times (after each Retry-After) before the page gives up. */
const BUSY_TRIES = 5;

/** POST /jobs, retrying a 503 after its Retry-After with the same key; the accepted job, or null. */
async function submit(input, key) {
  for (let tries = 1; ; tries++) {
    const res = await fetch(config.jobsUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ kind: "render", input }),
    });
    if (res.status === 202) return res.json();
    const why = await explain(res);
    if (why.retryAfterS === undefined || tries === BUSY_TRIES) {
      say(why.retryAfterS === undefined ? why.text : `${why.text} Please try again in a few minutes.`, true);
      return null;
    }
    await countdown(why.retryAfterS, why.text);
  }
}

/** Follows the job with the long poll until it finishes, showing its progress. */
async function follow(job) {
  bar.hidden = false;
  while (!FINISHED.includes(job.status)) {
    bar.value = job.progress ?? 0;
    say(job.status === "queued" ? "Waiting for a worker…" : `Rendering… ${Math.round((job.progress ?? 0) * 100)} %`);
    const res = await fetch(`${config.jobsUrl}/${job.id}?wait=${WAIT_S}`);
    if (res.status === 503) {
      // Too many long polls on that server for now: ask again after its Retry-After.
      const why = await explain(res);
      await countdown(why.retryAfterS, why.text);
      continue;
    }
    if (!res.ok) {
      say((await explain(res)).text, true);
      return null;
    }
    job = await res.json();
  }
  bar.value = 1;
  return job;
}

function show(job) {
  if (job.status !== "succeeded") {
    say(`The job ${job.status}${job.error ? `: ${job.error}` : "."}`, true);
    return;
  }
  const { url, width, height, bytes } = job.result;
  const img = $("image");
  img.onload = () => {
    say(`Done: ${img.naturalWidth} × ${img.naturalHeight} px.`);
    document.body.dataset.state = "shown";
  };
  img.onerror = () => say(`The picture could not be loaded from ${resultUrl(url)}.`, true);
  img.src = resultUrl(url);
  $("caption").textContent = `${width} × ${height} px, ${bytes} bytes · job ${job.id}`;
  $("result").hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  for (const f of FIELDS) $(f).removeAttribute("aria-invalid");
  // Numbers as numbers: the API refuses "320" in quotes, and says so.
  const input = Object.fromEntries(FIELDS.map((f) => [f, $(f).valueAsNumber]).filter(([, v]) => !Number.isNaN(v)));
  button.disabled = true;
  $("result").hidden = true;
  bar.hidden = true;
  document.body.dataset.state = "working";
  try {
    say("Submitting…");
    const job = await submit(input, crypto.randomUUID());
    const done = job && (await follow(job));
    if (done) show(done);
  } catch (err) {
    // fetch() rejects without a status when the browser refuses the answer (CORS) or the network fails.
    say(
      `Could not reach the API at ${config.apiUrl} (${err.message}). Is it running, and does it allow this page's origin (${location.origin}) in CORS_ORIGINS?`,
      true,
    );
  } finally {
    button.disabled = false;
    if (document.body.dataset.state === "working") document.body.dataset.state = "idle";
  }
});

try {
  const res = await fetch("frontend-config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  config = await res.json();
  if (!config.jobsUrl) throw new Error("it has no jobsUrl: the API it describes has no jobs");
  $("api").textContent = `API: ${config.apiUrl}${config.stack ? ` (stack ${config.stack})` : ""}`;
  button.disabled = false;
  document.body.dataset.state = "idle";
} catch (err) {
  $("api").textContent = "";
  say(`Cannot read frontend-config.json (${err.message}): run \`npm run frontend-config\` or \`npm run web\`.`, true);
}
