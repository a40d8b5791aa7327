/** The single-page rating UI served by the human-evaluation server (no external resources). */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Human evaluation</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  .box { border: 1px solid #ccc; border-radius: 6px; padding: 1rem; margin: 1rem 0; white-space: pre-wrap; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  fieldset { border: 1px solid #ddd; margin: .5rem 0; }
  button { font-size: 1rem; padding: .4rem 1rem; margin-right: .5rem; }
  #progress { color: #666; }
  .hidden { display: none; }
</style>
</head>
<body>
<h1>Human evaluation</h1>
<div id="login">
  <label>Rater id <input id="rater" autocomplete="username" maxlength="100"></label>
  <button id="start">Start</button>
  <p>Your judgments are saved as you go; come back with the same id to continue where you left off.</p>
</div>
<div id="work" class="hidden">
  <p id="progress"></p>
  <h2>Prompt</h2>
  <div id="prompt" class="box"></div>
  <div id="likert" class="hidden">
    <h2>Response</h2>
    <div id="output" class="box"></div>
    <form id="likert-form"><div id="criteria"></div><button id="submit" type="submit" disabled>Submit</button></form>
  </div>
  <div id="pairwise" class="hidden">
    <h2 id="question">Which response is better?</h2>
    <div class="pair">
      <div><h3>Response 1</h3><div id="left-output" class="box"></div></div>
      <div><h3>Response 2</h3><div id="right-output" class="box"></div></div>
    </div>
    <button id="choose-left">Response 1 is better</button>
    <button id="choose-tie">Tie</button>
    <button id="choose-right">Response 2 is better</button>
  </div>
</div>
<p id="done" class="hidden">All tasks are judged. Thank you!</p>
<p id="error" role="alert"></p>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  let rater = new URLSearchParams(location.search).get('rater') || '';
  let task = null;
  $('rater').value = rater;
  const show = (id, on) => $(id).classList.toggle('hidden', !on);
  const render = (state) => {
    $('error').textContent = '';
    $('progress').textContent = state.progress.done + ' of ' + state.progress.total + ' judged';
    if (state.done) { show('work', false); show('done', true); return; }
    task = state.task;
    show('login', false); show('work', true);
    $('prompt').textContent = task.prompt;
    show('likert', task.type === 'likert');
    show('pairwise', task.type === 'pairwise');
    if (task.type === 'likert') {
      $('output').textContent = task.output;
      const box = $('criteria');
      box.replaceChildren();
      for (const c of task.criteria) {
        const fs = document.createElement('fieldset');
        const lg = document.createElement('legend');
        lg.textContent = c + ' (1 = poor, 5 = excellent)';
        fs.append(lg);
        for (let v = 1; v <= 5; v++) {
          const label = document.createElement('label');
          const input = document.createElement('input');
          input.type = 'radio'; input.name = 'crit-' + c; input.value = String(v); input.dataset.criterion = c;
          input.addEventListener('change', () => {
            $('submit').disabled = !task.criteria.every((k) => document.querySelector('input[name="crit-' + CSS.escape(k) + '"]:checked'));
          });
          label.append(input, ' ' + v + ' ');
          fs.append(label);
        }
        box.append(fs);
      }
      $('submit').disabled = true;
    } else {
      $('question').textContent = task.question || 'Which response is better?';
      $('left-output').textContent = task.left;
      $('right-output').textContent = task.right;
    }
  };
  const call = async (url, body) => {
    const res = await fetch(url, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
    const data = await res.json();
    if (!res.ok) { $('error').textContent = data.error || res.statusText; return; }
    render(data);
  };
  $('start').addEventListener('click', () => {
    rater = $('rater').value.trim();
    if (!rater) { $('error').textContent = 'Enter a rater id.'; return; }
    call('/api/next?rater=' + encodeURIComponent(rater));
  });
  $('likert-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ratings = {};
    for (const c of task.criteria) ratings[c] = Number(document.querySelector('input[name="crit-' + CSS.escape(c) + '"]:checked').value);
    call('/api/judge', { rater, taskId: task.id, ratings });
  });
  for (const choice of ['left', 'right', 'tie']) {
    $('choose-' + choice).addEventListener('click', () => call('/api/judge', { rater, taskId: task.id, choice }));
  }
  if (rater) $('start').click();
})();
</script>
</body>
</html>
`;
