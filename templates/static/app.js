// Search as you type: suggestions under the search box, with keyboard navigation.
// Progressive enhancement: without JavaScript the form still submits to the search page.
document.querySelectorAll('input[data-suggest]').forEach(function (input) {
  // In the drafting table the pick fills the "add" field; in the search box it opens the indicator.
  const picking = input.id === 'add';
  const list = document.getElementById(picking ? 'add-suggestions' : 'suggestions');
  if (!list) return;
  let items = [], active = -1, timer = null, seq = 0;

  function close() { list.hidden = true; list.innerHTML = ''; items = []; active = -1; input.setAttribute('aria-expanded', 'false'); }
  function select(i) {
    active = i;
    Array.from(list.children).forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
  }
  function open(code) {
    if (picking) { input.value = code; close(); input.form.requestSubmit(); return; }
    window.location.href = '/indicators/' + encodeURIComponent(code);
  }

  async function fetchSuggestions() {
    const q = input.value.trim();
    if (!q) { close(); return; }
    const mine = ++seq;
    try {
      const r = await fetch(input.dataset.suggest + '?limit=8&q=' + encodeURIComponent(q));
      if (!r.ok || mine !== seq) return;
      const data = await r.json();
      items = data.suggestions || [];
      list.innerHTML = '';
      items.forEach((s, i) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option');
        li.innerHTML = '<span>' + s.name_html + '</span><small>' + s.level2 + (s.unit ? ' · ' + s.unit : '') + '</small>';
        li.addEventListener('mousedown', (e) => { e.preventDefault(); open(s.code); });
        list.appendChild(li);
        if (i === 0) li.setAttribute('aria-selected', 'false');
      });
      list.hidden = items.length === 0;
      input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
      active = -1;
    } catch (_) { /* offline or aborted: the form still works */ }
  }

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-controls', 'suggestions');
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 80); });
  input.addEventListener('keydown', (e) => {
    if (list.hidden || !items.length) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); select((active + 1) % items.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); select((active - 1 + items.length) % items.length); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); open(items[active].code); }
    else if (e.key === 'Escape') { close(); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
});
