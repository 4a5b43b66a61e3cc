// review.test.mjs: the review page end to end, in Debian's headless Chromium (playwright-core,
// never a downloaded browser). Generates the demo samples at a small scale (they all come out
// needs_review: too few pixels), processes them into a fresh store, serves it on a free port, signs
// in with a curator token, then with the keyboard only: approves one photo, rejects one with a
// reason, and reprocesses one without background removal. It then checks the database (through
// `listready review show`) and the catalog API (with a catalog token) for each action, and saves
// screenshots (laptop and phone) under $LR_ARTIFACTS.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const listready = process.env.LR_LISTREADY;
const samplesBin = process.env.LR_SAMPLES;
const artifacts = process.env.LR_ARTIFACTS || tmpdir();
const chromiumPath = process.env.LR_CHROMIUM || '/usr/bin/chromium';
assert.ok(listready && samplesBin, 'LR_LISTREADY and LR_SAMPLES must name the binaries');
if (!existsSync(chromiumPath)) {
	console.error(`no Chromium at ${chromiumPath}: run scripts/setup.sh (apt-get install chromium)`);
	process.exit(1);
}
let chromium;
try {
	({ chromium } = await import('playwright-core'));
} catch {
	console.error('playwright-core is missing: run scripts/setup.sh (npm ci in tests/e2e/web)');
	process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'listready-web-'));
const store = join(work, 'store');
const run = (bin, args) => execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const show = (id) => JSON.parse(run(listready, ['review', 'show', String(id), '--store', store]));

let server, browser;
try {
	run(samplesBin, ['--out', join(work, 'samples'), '--scale', '0.3']);
	const photos = readdirSync(join(work, 'samples')).filter((f) => /^[a-z0-9-]+\.jpg$/.test(f))
		.map((f) => join(work, 'samples', f));
	run(listready, ['process', '--store', store, ...photos]);
	const curator = run(listready, ['token', 'create', '--store', store, '--role', 'curator', '--name', 'e2e-curator']).trim();
	const catalog = run(listready, ['token', 'create', '--store', store, '--role', 'catalog']).trim();

	server = spawn(listready, ['serve', '--store', store, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
	const url = await new Promise((resolve, reject) => {
		let out = '';
		server.stdout.on('data', (d) => {
			out += d;
			const m = out.match(/listening on (\S+)/);
			if (m) resolve(m[1]);
		});
		server.on('exit', (code) => reject(new Error(`listready serve exited with ${code}`)));
		setTimeout(() => reject(new Error('listready serve did not start')), 15000);
	});
	const api = async (path, token) => {
		const r = await fetch(new URL(path, url), { headers: { Authorization: `Bearer ${token}` } });
		assert.equal(r.status, 200, `${path}: ${r.status}`);
		return r.json();
	};
	const queue = (await api('/api/v1/review/queue', curator)).items;
	assert.ok(queue.length >= 3, `need 3 photos in review, got ${queue.length}`);
	const [approveId, rejectId, reprocessId] = queue.map((a) => a.id);
	const before = show(reprocessId);

	browser = await chromium.launch({
		executablePath: chromiumPath,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--no-first-run'],
	});
	const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
	const errors = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.goto(url);
	await page.fill('#token', 'not-a-token');
	await page.click('#login button[type=submit]');
	await page.waitForSelector('#login-error:text("not valid")');
	await page.fill('#token', curator);
	await page.click('#login button[type=submit]');
	await page.waitForSelector('#detail', { state: 'visible' });
	assert.equal(await page.isVisible('#login'), false, 'the sign-in form goes away');
	await page.waitForSelector(`#title:text("#${approveId} ")`);
	const cookies = await page.context().cookies();
	assert.ok(cookies.some((c) => c.name === 'lr_token' && c.httpOnly), 'HttpOnly session cookie');
	assert.equal(await page.evaluate(() => document.cookie), '', 'the script cannot read the token');

	// Approve: one key.
	let response = page.waitForResponse((r) => r.url().endsWith(`/api/v1/review/${approveId}/approve`));
	await page.keyboard.press('a');
	assert.equal((await response).status(), 200);
	await page.waitForSelector(`#title:text("#${rejectId} ")`);

	// Reject: R, type the reason, Enter.
	await page.keyboard.press('r');
	await page.waitForSelector('#reject-form', { state: 'visible' });
	await page.fill('#reject-reason', 'Please retake in daylight near a window.');
	response = page.waitForResponse((r) => r.url().endsWith(`/api/v1/review/${rejectId}/reject`));
	await page.keyboard.press('Enter');
	assert.equal((await response).status(), 200);
	await page.waitForSelector(`#title:text("#${reprocessId} ")`);

	// Reprocess without background removal: N, then P.
	await page.keyboard.press('n');
	assert.equal(await page.isChecked('#keepbg'), true);
	response = page.waitForResponse((r) => r.url().endsWith(`/api/v1/review/${reprocessId}/reprocess`),
		{ timeout: 120000 });
	await page.keyboard.press('p');
	assert.equal((await response).status(), 200);
	await page.waitForSelector('#toast:text("reprocessed")');
	await page.waitForSelector('#result');
	await page.waitForFunction(() => document.querySelector('#result').complete);

	mkdirSync(artifacts, { recursive: true });
	const laptop = join(artifacts, 'review.png');
	await page.screenshot({ path: laptop });
	await page.setViewportSize({ width: 390, height: 844 });
	const phone = join(artifacts, 'review-phone.png');
	await page.screenshot({ path: phone, fullPage: false });
	assert.deepEqual(errors, [], 'no script errors on the page');

	// The database: statuses, the note, and every action in the event log with who did it.
	const approved = show(approveId), rejected = show(rejectId), redone = show(reprocessId);
	const last = (a) => a.events[a.events.length - 1];
	assert.equal(approved.status, 'accepted');
	assert.equal(last(approved).kind, 'approved');
	assert.equal(last(approved).actor, 'curator:e2e-curator');
	assert.equal(rejected.status, 'rejected');
	assert.equal(rejected.review_note, 'Please retake in daylight near a window.');
	assert.equal(last(rejected).kind, 'rejected');
	assert.equal(last(rejected).actor, 'curator:e2e-curator');
	assert.equal(last(redone).kind, 'reprocessed');
	assert.equal(last(redone).actor, 'curator:e2e-curator');
	assert.equal(last(redone).detail.overrides.keep_background, true);
	assert.ok(!redone.reasons.some((r) => r.code === 'background_uncertain'),
		'a background the curator chose to keep is not flagged as an uncertain cut-out');
	assert.notDeepEqual(redone.renditions.map((r) => r.sha256), before.renditions.map((r) => r.sha256),
		'new renditions');

	// The catalog API sees the same.
	const a = await api(`/api/v1/assets/${approveId}`, catalog);
	const b = await api(`/api/v1/assets/${rejectId}`, catalog);
	const c = await api(`/api/v1/assets/${reprocessId}`, catalog);
	assert.equal(a.status, 'accepted');
	assert.equal(b.status, 'rejected');
	assert.equal(b.review_note, 'Please retake in daylight near a window.');
	assert.deepEqual(c.renditions.map((r) => r.sha256), redone.renditions.map((r) => r.sha256));
	const accepted = await api('/api/v1/assets?status=accepted', catalog);
	assert.deepEqual(accepted.items.map((x) => x.id), [approveId]);
	const feed = await api('/api/v1/assets', catalog);
	const order = feed.items.map((x) => x.id);
	// The three changed assets come last in the feed, in the order they were changed.
	assert.deepEqual(order.slice(-3), [approveId, rejectId, reprocessId]);
	const queueAfter = (await api('/api/v1/review/queue', curator)).items.map((x) => x.id);
	assert.ok(!queueAfter.includes(approveId) && !queueAfter.includes(rejectId));
	const feedback = await api(`/api/v1/artisans/${encodeURIComponent('none')}`, curator);
	assert.deepEqual(feedback.photos, []);

	console.log(`review page: approved #${approveId}, rejected #${rejectId}, reprocessed #${reprocessId} without background removal`);
	console.log(`screenshot: ${laptop}`);
	console.log(`screenshot: ${phone}`);
} finally {
	if (browser) await browser.close();
	if (server) server.kill('SIGTERM');
	rmSync(work, { recursive: true, force: true });
}
