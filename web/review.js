// review.js: the curators' review page. Talks to /api/v1/review/ with the HttpOnly cookie that
// POST /login sets (the script never holds the token after signing in), and sends
// X-Listready-Request on every change so that another site cannot forge one.
// One key per action: A approve, R reject, P reprocess, N no background, O rotate, C clear crop,
// J/K next/previous. Keys are ignored while typing in a field.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { queue: [], index: 0, asset: null, rotate: 0, crop: null, busy: false };

async function api(method, path, body) {
	const options = { method, headers: { 'X-Listready-Request': '1' }, credentials: 'same-origin' };
	if (body !== undefined) {
		options.headers['Content-Type'] = 'application/json';
		options.body = JSON.stringify(body);
	}
	const response = await fetch(path, options);
	const data = response.headers.get('Content-Type')?.startsWith('application/json')
		? await response.json() : null;
	if (response.status === 401) showLogin();
	if (!response.ok) throw new Error(data?.error || response.statusText);
	return data;
}

function toast(text) {
	const t = $('toast');
	t.textContent = text;
	t.classList.add('show');
	clearTimeout(toast.timer);
	toast.timer = setTimeout(() => t.classList.remove('show'), 2500);
}

function showLogin() {
	$('app').hidden = true;
	$('login').hidden = false;
	$('signout').hidden = true;
	$('who').textContent = '';
	$('token').focus();
}

async function start() {
	try {
		const me = await api('GET', '/api/v1/whoami');
		$('who').textContent = `${me.name} (${me.role})`;
	} catch {
		return;
	}
	$('login').hidden = true;
	$('app').hidden = false;
	$('signout').hidden = false;
	const profiles = await api('GET', '/api/v1/profiles');
	$('profile').replaceChildren(new Option('(the photo\'s own)', ''),
		...profiles.map((p) => new Option(p, p)));
	await loadQueue();
}

async function loadQueue(keepId) {
	const page = await api('GET', '/api/v1/review/queue');
	state.queue = page.items;
	const at = state.queue.findIndex((a) => a.id === keepId);
	state.index = at >= 0 ? at : Math.min(state.index, Math.max(0, state.queue.length - 1));
	renderQueue();
	await show();
}

function renderQueue() {
	$('count').textContent = `${state.queue.length} waiting`;
	$('queue').replaceChildren(...state.queue.map((a, i) => {
		const b = document.createElement('button');
		b.type = 'button';
		b.dataset.id = a.id;
		b.setAttribute('aria-current', i === state.index ? 'true' : 'false');
		const name = document.createElement('span');
		name.textContent = `#${a.id} ${a.original_name}`;
		const why = document.createElement('small');
		why.textContent = a.reasons.map((r) => r.code).join(', ') || 'no reason';
		b.append(name, why);
		b.addEventListener('click', () => { state.index = i; renderQueue(); show(); });
		return b;
	}));
}

function resetOverrides() {
	state.rotate = 0;
	state.crop = null;
	$('keepbg').checked = false;
	$('profile').value = '';
	renderOverrides();
}

function renderOverrides() {
	$('rotate').textContent = `${state.rotate}°`;
	$('crop').textContent = state.crop ? state.crop.map((v) => v.toFixed(2)).join(', ') : 'none';
	$('toggle-bg').setAttribute('aria-pressed', $('keepbg').checked ? 'true' : 'false');
	const box = $('crop-box');
	box.hidden = !state.crop;
	if (state.crop) {
		const img = $('original');
		const [l, t, w, h] = state.crop;
		Object.assign(box.style, {
			left: `${img.offsetLeft + l * img.clientWidth}px`,
			top: `${img.offsetTop + t * img.clientHeight}px`,
			width: `${w * img.clientWidth}px`, height: `${h * img.clientHeight}px`,
		});
	}
}

async function show() {
	const current = state.queue[state.index];
	$('empty').hidden = !!current;
	$('detail').hidden = !current;
	$('reject-form').hidden = true;
	// Focus left in the hidden reason field would swallow the next key.
	if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
	if (!current) return;
	const a = await api('GET', `/api/v1/review/${current.id}`);
	const changed = state.asset?.id !== a.id;
	state.asset = a;
	resetOverrides();
	if (changed) window.scrollTo({ top: 0 });
	$('title').textContent = `#${a.id} ${a.original_name}`;
	$('meta').textContent = [a.artisan && `artisan ${a.artisan}`, a.sku && `product ${a.sku}`,
		`profile ${a.profile}`, `score ${a.score.toFixed(2)}`,
		`${a.source.width}×${a.source.height} ${a.source.format}`, a.created_at]
		.filter(Boolean).join(' · ');
	const stamp = encodeURIComponent(a.updated_at);
	$('original').src = `/api/v1/review/${a.id}/original`;
	$('result').src = `/api/v1/review/${a.id}/result?v=${stamp}`;
	$('reasons').replaceChildren(...(a.reasons.length ? a.reasons : [{ message: 'No reason recorded.' }])
		.map((r) => {
			const li = document.createElement('li');
			const b = document.createElement('b');
			b.textContent = r.message;
			li.append(b, document.createTextNode(r.advice ? ` ${r.advice}` : ''));
			return li;
		}));
	$('scores').replaceChildren(...Object.entries(a.scores).map(([name, value]) => {
		const tr = document.createElement('tr');
		const label = document.createElement('td');
		label.textContent = name;
		const num = document.createElement('td');
		num.textContent = Number(value).toFixed(2);
		const cell = document.createElement('td');
		cell.className = 'bar-cell';
		cell.innerHTML = '<div class="meter"><i></i></div>';
		const bar = cell.querySelector('i');
		bar.style.width = `${Math.round(100 * value)}%`;
		if (value < 0.5) bar.className = 'low';
		tr.append(label, num, cell);
		return tr;
	}));
	$('events').replaceChildren(...(a.events || []).map((e) => {
		const li = document.createElement('li');
		li.textContent = `${e.at} ${e.actor} ${e.kind}` +
			(e.detail?.note ? ` — ${e.detail.note}` : '');
		return li;
	}));
}

function move(step) {
	if (!state.queue.length) return;
	state.index = (state.index + step + state.queue.length) % state.queue.length;
	renderQueue();
	show();
}

async function act(what, body) {
	const a = state.asset;
	if (!a || state.busy) return;
	state.busy = true;
	document.body.style.cursor = 'progress';
	try {
		if (what === 'reprocess') toast(`Reprocessing #${a.id}…`);
		const updated = await api('POST', `/api/v1/review/${a.id}/${what}`, body);
		toast(`#${a.id} ${what === 'reprocess' ? 'reprocessed' : what + 'd'}: ${updated.status}`);
		// A photo that still needs a person stays selected; otherwise go on to the next.
		await loadQueue(updated.status === 'needs_review' ? a.id : undefined);
	} catch (e) {
		toast(`Could not ${what} #${a.id}: ${e.message}`);
	} finally {
		state.busy = false;
		document.body.style.cursor = '';
	}
}

function reprocess() {
	act('reprocess', {
		profile: $('profile').value || null,
		keep_background: $('keepbg').checked,
		rotate: state.rotate,
		crop: state.crop,
	});
}

function openReject() {
	if (!state.asset) return;
	const form = $('reject-form');
	form.hidden = false;
	const advice = state.asset.reasons.map((r) => r.advice).filter(Boolean).join(' ');
	$('reject-reason').value = advice;
	$('reject-reason').focus();
	$('reject-reason').select();
}

// Dragging on the original draws the crop, in shares of the displayed (upright) photo.
function setupCrop() {
	const img = $('original');
	let from = null;
	const at = (e) => {
		const r = img.getBoundingClientRect();
		return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
			Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))];
	};
	img.addEventListener('pointerdown', (e) => {
		from = at(e);
		img.setPointerCapture(e.pointerId);
		e.preventDefault();
	});
	img.addEventListener('pointermove', (e) => {
		if (!from) return;
		const to = at(e);
		const l = Math.min(from[0], to[0]), t = Math.min(from[1], to[1]);
		const w = Math.abs(to[0] - from[0]), h = Math.abs(to[1] - from[1]);
		state.crop = w > 0.02 && h > 0.02 ? [l, t, w, h] : null;
		renderOverrides();
	});
	img.addEventListener('pointerup', () => { from = null; });
	img.addEventListener('load', renderOverrides);
	window.addEventListener('resize', renderOverrides);
}

function onKey(e) {
	if (e.ctrlKey || e.metaKey || e.altKey || $('app').hidden) return;
	const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName);
	if (typing) {
		if (e.key === 'Escape') { $('reject-form').hidden = true; e.target.blur(); }
		return;
	}
	const keys = {
		a: () => act('approve', {}),
		r: openReject,
		p: reprocess,
		n: () => { $('keepbg').checked = !$('keepbg').checked; renderOverrides(); },
		o: () => { state.rotate = (state.rotate + 90) % 360; renderOverrides(); },
		c: () => { state.crop = null; renderOverrides(); },
		j: () => move(1), arrowright: () => move(1),
		k: () => move(-1), arrowleft: () => move(-1),
	};
	const run = keys[e.key.toLowerCase()];
	if (run) { e.preventDefault(); run(); }
}

document.addEventListener('DOMContentLoaded', () => {
	$('login').addEventListener('submit', async (e) => {
		e.preventDefault();
		$('login-error').textContent = '';
		try {
			await api('POST', '/login', { token: $('token').value.trim() });
			$('token').value = '';
			await start();
		} catch (err) {
			$('login-error').textContent = err.message;
		}
	});
	$('signout').addEventListener('click', async () => { await api('POST', '/logout'); showLogin(); });
	$('approve').addEventListener('click', () => act('approve', {}));
	$('reject').addEventListener('click', openReject);
	$('reject-cancel').addEventListener('click', () => { $('reject-form').hidden = true; });
	$('reject-form').addEventListener('submit', (e) => {
		e.preventDefault();
		act('reject', { reason: $('reject-reason').value });
	});
	$('reject-reason').addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('reject-form').requestSubmit(); }
	});
	$('reprocess').addEventListener('click', reprocess);
	$('toggle-bg').addEventListener('click', () => { $('keepbg').checked = !$('keepbg').checked; renderOverrides(); });
	$('keepbg').addEventListener('change', renderOverrides);
	$('rotate-btn').addEventListener('click', () => { state.rotate = (state.rotate + 90) % 360; renderOverrides(); });
	$('crop-clear').addEventListener('click', () => { state.crop = null; renderOverrides(); });
	$('prev').addEventListener('click', () => move(-1));
	$('next').addEventListener('click', () => move(1));
	document.addEventListener('keydown', onKey);
	setupCrop();
	showLogin();
	start();
});
