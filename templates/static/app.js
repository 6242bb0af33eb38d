// Search as you type: suggestions under the search box, with keyboard navigation.
// Progressive enhancement: without JavaScript the form still submits to the search page.
// Everything from the API goes into the page as text (textContent, createElement), never as
// markup: the script never has the browser parse API data as HTML.

// An element with text content and, optionally, a class.
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

// The server's highlighted text (its characters escaped, hits in <mark>) as DOM nodes: only
// <mark> becomes an element, every other character stays text, whatever the string holds.
function highlighted(html) {
  const frag = document.createDocumentFragment();
  const entities = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };
  const text = (s) => s.replace(/&(lt|gt|amp|quot|#39);/g, (m) => entities[m]);
  String(html).split(/(<mark>[\s\S]*?<\/mark>)/).forEach((part) => {
    if (!part) return;
    const m = /^<mark>([\s\S]*)<\/mark>$/.exec(part);
    frag.appendChild(m ? el('mark', text(m[1])) : document.createTextNode(text(part)));
  });
  return frag;
}

// On a phone the search facets fold behind their 筛选 button, so the first result is on the
// first screen; without JavaScript they stay open.
if (matchMedia('(max-width: 800px)').matches) {
  document.querySelectorAll('details.facet-fold').forEach((d) => { d.open = false; });
}

// The suggestion list follows the WAI-ARIA combobox pattern: the input is the combobox, the
// list its listbox, the highlighted option named by aria-activedescendant. Esc closes the list
// first and leaves the query alone (a second Esc clears it, as the browser would).
document.querySelectorAll('input[data-suggest]').forEach(function (input) {
  // In the drafting table and a training session the pick fills the field (a code); in the
  // search box it opens the indicator.
  const picking = input.id === 'add' || 'pick' in input.dataset;
  const listId = input.dataset.suggestList || (input.id === 'add' ? 'add-suggestions' : 'suggestions');
  const list = document.getElementById(listId);
  if (!list) return;
  let items = [], active = -1, timer = null, seq = 0;

  function close() {
    list.hidden = true; list.replaceChildren(); items = []; active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }
  function select(i) {
    active = i;
    Array.from(list.children).forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    input.setAttribute('aria-activedescendant', listId + '-' + i);
    list.children[i].scrollIntoView({ block: 'nearest' });
  }
  function open(code) {
    if (picking) { input.value = code; close(); if (input.form) input.form.requestSubmit(); return; }
    window.location.href = '/indicators/' + encodeURIComponent(code);
  }

  async function fetchSuggestions() {
    const q = input.value.trim();
    if (!q) { close(); return; }
    const mine = ++seq;
    try {
      // The drafting table's box names its project type in the address and the rows it holds
      // in data-exclude (kept current by draft.js), so it offers what the table lacks.
      const sep = input.dataset.suggest.includes('?') ? '&' : '?';
      const exclude = input.dataset.exclude ? '&exclude=' + encodeURIComponent(input.dataset.exclude) : '';
      const r = await fetch(input.dataset.suggest + sep + 'limit=8&q=' + encodeURIComponent(q) + exclude);
      if (!r.ok || mine !== seq) return;
      const data = await r.json();
      items = data.suggestions || [];
      list.replaceChildren();
      items.forEach((s, i) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option');
        li.id = listId + '-' + i;
        li.setAttribute('aria-selected', 'false');
        const name = el('span');
        name.appendChild(highlighted(s.name_html));
        li.appendChild(name);
        li.appendChild(el('small', (s.level2 || '') + (s.unit ? ' · ' + s.unit : '')));
        li.addEventListener('mousedown', (e) => { e.preventDefault(); open(s.code); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    } catch (_) { /* offline or aborted: the form still works */ }
  }

  list.setAttribute('role', 'listbox');
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-controls', listId);
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 80); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !list.hidden) { e.preventDefault(); close(); return; }
    if (list.hidden || !items.length) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); select((active + 1) % items.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); select((active - 1 + items.length) % items.length); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); open(items[active].code); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
});

// The drafting page's live check is in draft.js, loaded by that page.

// "My drafts" without an account: this browser remembers the drafts it opened (links are the
// only key to a draft), and the new-draft page lists them.
(function () {
  const KEY = 'zhibiao.drafts';
  let list = [];
  try { list = JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (_) { list = []; }
  const here = document.querySelector('[data-draft-id]');
  if (here) {
    list = list.filter((d) => d.id !== here.dataset.draftId);
    list.unshift({ id: here.dataset.draftId, name: here.dataset.draftName, at: new Date().toISOString().slice(0, 10) });
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, 50))); } catch (_) { /* storage full or off */ }
  }
  const box = document.getElementById('my-drafts');
  if (box && list.length) {
    const ul = box.querySelector('ul');
    list.forEach((d) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '/drafts/' + encodeURIComponent(d.id);
      a.textContent = d.name;
      li.appendChild(a);
      li.appendChild(document.createTextNode('（' + d.at + ' 打开）'));
      ul.appendChild(li);
    });
    box.hidden = false;
  }
})();
