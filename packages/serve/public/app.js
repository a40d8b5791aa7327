// The web chat: plain browser JavaScript, no build step. Talks to the server's own API.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const history = [];
  let controller = null;

  function headers() {
    const h = { 'content-type': 'application/json' };
    const key = $('apikey').value.trim();
    if (key) h.authorization = `Bearer ${key}`;
    return h;
  }

  function addMessage(role, text) {
    const div = document.createElement('div');
    div.className = `msg ${role}`;
    div.dataset.role = role;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function setBusy(busy) {
    $('send').disabled = busy;
    $('stop').disabled = !busy;
    $('status').textContent = busy ? 'generating…' : '';
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      return body.error ? body.error.message : `HTTP ${res.status}`;
    } catch {
      return `HTTP ${res.status}`;
    }
  }

  async function loadModels() {
    const res = await fetch('/v1/models', { headers: headers() });
    const select = $('model');
    select.textContent = '';
    if (!res.ok) {
      $('status').textContent = await errorText(res);
      return;
    }
    const health = await (await fetch('/health')).json();
    const chat = new Set(health.models.filter((m) => m.type === 'chat').flatMap((m) => [m.name, ...m.aliases]));
    const body = await res.json();
    for (const m of body.data) {
      if (!chat.has(m.id)) continue;
      const opt = document.createElement('option');
      opt.value = opt.textContent = m.id;
      select.appendChild(opt);
    }
    $('rag').disabled = !health.rag;
    $('rag').title = health.rag ? `answers from ${health.rag}` : 'no RAG answerer configured on the server';
  }

  // Read an SSE stream of chat.completion.chunk events and append the deltas to `div`.
  async function readStream(res, div) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const data = line.slice(6);
          if (data === '[DONE]') return text;
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(chunk.error.message);
          const delta = chunk.choices.length > 0 ? chunk.choices[0].delta.content : undefined;
          if (delta) {
            text += delta;
            div.textContent = text;
            log.scrollTop = log.scrollHeight;
          }
        }
      }
    }
    return text;
  }

  async function chat(question) {
    const div = addMessage('assistant', '');
    history.push({ role: 'user', content: question });
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: headers(),
      signal: controller.signal,
      body: JSON.stringify({ model: $('model').value, messages: history, stream: true, temperature: Number($('temperature').value), max_tokens: 200 }),
    });
    if (!res.ok) throw new Error(await errorText(res));
    const text = await readStream(res, div);
    div.dataset.done = 'true';
    history.push({ role: 'assistant', content: text });
  }

  async function ask(question) {
    const res = await fetch('/v1/rag/ask', { method: 'POST', headers: headers(), signal: controller.signal, body: JSON.stringify({ question }) });
    if (!res.ok) throw new Error(await errorText(res));
    const body = await res.json();
    const div = addMessage('assistant', body.answer);
    const list = document.createElement('ol');
    list.className = 'citations';
    for (const c of body.citations) {
      const li = document.createElement('li');
      li.value = c.index;
      li.textContent = `${c.source}${c.page !== undefined ? ` p. ${c.page}` : ''}: ${c.text.length > 200 ? `${c.text.slice(0, 200)}…` : c.text}`;
      list.appendChild(li);
    }
    div.appendChild(list);
    div.dataset.done = 'true';
  }

  $('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const question = $('input').value.trim();
    if (!question) return;
    $('input').value = '';
    addMessage('user', question);
    controller = new AbortController();
    setBusy(true);
    try {
      if ($('rag').checked) await ask(question);
      else await chat(question);
    } catch (err) {
      if (err.name !== 'AbortError') addMessage('error', String(err.message || err));
    } finally {
      setBusy(false);
      controller = null;
    }
  });
  $('stop').addEventListener('click', () => controller && controller.abort());
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('form').requestSubmit();
    }
  });
  $('apikey').addEventListener('change', loadModels);
  loadModels().catch((err) => { $('status').textContent = String(err); });
})();
