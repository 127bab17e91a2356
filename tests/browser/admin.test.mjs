/*
 * Browser tests of the admin dashboard, in headless Chromium driven by
 * playwright-core, against a real `cinerec serve` that run.sh started
 * (environment: CINEREC_ADMIN_URL, CINEREC_HTTP_URL, CINEREC_INGEST_PORT,
 * CINEREC_PASSWORD_FILE, CINEREC_NODE_MODULES, CINEREC_SCREENSHOTS).
 * The tests run in order and share one logged-in page, as an operator
 * would: log in, watch live figures move, look up a user, train, change a
 * setting, log out.  A screenshot of each page goes to CINEREC_SCREENSHOTS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const env = (k) => {
	if (!process.env[k])
		throw new Error(`${k} is not set: run tests/browser/run.sh`);
	return process.env[k];
};
const ADMIN = env('CINEREC_ADMIN_URL');
const HTTP = env('CINEREC_HTTP_URL');
const INGEST_PORT = Number(env('CINEREC_INGEST_PORT'));
const PASSWORD = readFileSync(env('CINEREC_PASSWORD_FILE'), 'utf8').trim();
const SHOTS = env('CINEREC_SCREENSHOTS');
const require = createRequire(join(env('CINEREC_NODE_MODULES'), 'x.js'));
const { chromium } = require('playwright-core');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];

let context, page, profile;
const pageErrors = [];

async function shot(name, p) {
	await (p || page).screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
}

/* The figure in an element, as a number (thousands separators removed). */
async function figure(sel) {
	const t = (await page.textContent(sel)) || '';
	const v = parseFloat(t.replace(/,/g, ''));
	return Number.isFinite(v) ? v : null;
}

/* Send lines to the TCP ingest and wait until they are committed (SYNC). */
function sendLines(lines, keepOpen) {
	return new Promise((resolve, reject) => {
		const s = net.connect(INGEST_PORT, '127.0.0.1');
		let buf = '';
		s.setEncoding('utf8');
		s.on('error', reject);
		s.on('data', (d) => {
			buf += d;
			if (/^OK \d+\n/m.test(buf)) {
				if (keepOpen)
					resolve(s);
				else {
					s.end();
					resolve(null);
				}
			}
		});
		s.write(lines.join('\n') + '\nSYNC\n');
	});
}

function stamp(ms) {
	return new Date(ms).toISOString().replace('Z', '');
}

async function login(p, password) {
	await p.goto(ADMIN + '/login');
	await p.fill('#name', 'admin');
	await p.fill('#password', password);
	/* Either back to the login page with an error, or into the app. */
	await Promise.all([
		p.waitForURL((u) => u.pathname !== '/login' || u.search !== ''),
		p.click('button[type=submit]'),
	]);
}

before(async () => {
	mkdirSync(SHOTS, { recursive: true });
	profile = mkdtempSync(join(tmpdir(), 'cinerec-chromium-'));
	/* A fresh profile (--user-data-dir) each run. */
	context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CINEREC_CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: FLAGS,
		viewport: { width: 1440, height: 900 },
	});
	page = context.pages()[0] || await context.newPage();
	page.on('pageerror', (e) => pageErrors.push(String(e)));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/401|403|Failed to load resource/.test(m.text()))
			pageErrors.push(m.text());
	});
});

after(async () => {
	await context?.close();
	if (profile)
		rmSync(profile, { recursive: true, force: true });
});

describe('without a session', () => {
	it('pages redirect to the login and JSON answers 401', async () => {
		let r = await fetch(ADMIN + '/', { redirect: 'manual' });
		assert.equal(r.status, 303);
		assert.equal(r.headers.get('location'), '/login');
		for (const path of ['/api/overview', '/api/models', '/api/users/17',
		    '/api/ingest', '/api/settings', '/api/audit', '/api/session', '/metrics',
		    '/api/experiments']) {
			r = await fetch(ADMIN + path);
			assert.equal(r.status, 401, path);
		}
		r = await fetch(ADMIN + '/api/train', { method: 'POST', body: '' });
		assert.equal(r.status, 401);
	});

	it('every answer carries the strict headers', async () => {
		const r = await fetch(ADMIN + '/login');
		assert.equal(r.status, 200);
		const csp = r.headers.get('content-security-policy');
		assert.match(csp, /default-src 'self'/);
		assert.match(csp, /script-src 'self'(;|$)/);
		assert.match(csp, /frame-ancestors 'none'/);
		assert.doesNotMatch(csp, /unsafe-inline/);
		assert.equal(r.headers.get('x-frame-options'), 'DENY');
		assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
		const html = await r.text();
		assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
		assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
	});
});

describe('the dashboard', () => {
	it('refuses a wrong password', async () => {
		await login(page, 'not-the-password');
		assert.match(page.url(), /\/login\?error=invalid/);
		assert.match(await page.textContent('#login-error'), /Wrong account or password/);
		const cookies = await context.cookies();
		assert.equal(cookies.filter((c) => c.name.includes('cinerec')).length, 0);
		await shot('login');
	});

	it('logs in with the initial password and shows the overview', async () => {
		await login(page, PASSWORD);
		assert.equal(new URL(page.url()).pathname, '/');
		const [ck] = (await context.cookies()).filter((c) => c.name.includes('cinerec'));
		assert.ok(ck, 'session cookie set');
		assert.equal(ck.httpOnly, true);
		assert.equal(ck.sameSite, 'Strict');
		assert.equal(ck.value.length, 43, '256-bit token, base64url');
		await page.waitForSelector('#page-overview:not([hidden])');
		await page.waitForFunction(() => /^v\d+$/.test(document.getElementById('k-model').textContent));
		assert.equal(await page.textContent('#who'), 'admin');
	});

	it('shows live figures change after events are streamed', async () => {
		await page.waitForFunction(() => /\d/.test(document.getElementById('k-accepted').textContent));
		const before = await figure('#k-accepted');
		/* Lists served by the API, then a start of a listed movie: click-through. */
		const reco = await (await fetch(HTTP + '/recommend/17?format=json')).json();
		assert.ok(reco.items.length > 0);
		const now = Date.now();
		const lines = [];
		for (let i = 0; i < 40; i++)
			await fetch(HTTP + '/recommend/' + (20 + i));
		/* A few seconds of traffic, so that the rates have something to measure. */
		for (let round = 0; round < 6; round++) {
			lines.length = 0;
			for (let i = 0; i < 300; i++)
				lines.push(`${stamp(now + round * 1000 + i)},${1000 + i},GET /data/m/${reco.items[i % reco.items.length].id}/${round}.mpg`);
			lines.push(`${stamp(now + round * 1000)},17,GET /data/m/${reco.items[0].id}/${round}.mpg`);
			lines.push('this is not a log line');
			lines.push(`${stamp(now)},18,GET /rate/${reco.items[1].id}=9`);
			await sendLines(lines);
			await fetch(HTTP + '/recommend/' + (100 + round));
			await new Promise((r) => setTimeout(r, 700));
		}
		await page.waitForFunction((b) => {
			const v = parseFloat(document.getElementById('k-accepted').textContent.replace(/,/g, ''));
			return v >= b + 1800;
		}, before, { timeout: 20000 });
		await page.waitForFunction(() => parseFloat(document.getElementById('k-lines').textContent) > 0, null, { timeout: 10000 });
		await page.waitForFunction(() => parseFloat(document.getElementById('k-rps').textContent) > 0, null, { timeout: 10000 });
		assert.ok((await figure('#k-accepted')) >= before + 1800);
		await page.waitForFunction(() => document.querySelectorAll('#chart-traffic canvas').length > 0);
		await page.waitForFunction(() => !document.getElementById('chart-ctr').hidden &&
		    document.querySelectorAll('#chart-ctr canvas').length > 0, null, { timeout: 15000 });
		await shot('overview');
	});

	it('looks up a user: history, served lists and recommendations', async () => {
		await page.click('a[data-nav=users]');
		await page.fill('#user-id', '17');
		await page.click('#user-form button[type=submit]');
		await page.waitForSelector('#user-result:not([hidden])');
		await page.waitForFunction(() => document.querySelectorAll('#user-reco tbody tr').length > 0);
		assert.ok((await page.$$('#user-watches tbody tr')).length > 0);
		assert.match(await page.textContent('#user-kpis'), /#17/);
		/* The list the API served to user 17 above, with its model version. */
		assert.match(await page.textContent('#user-served'), /served/);
		const because = await page.$$eval('#user-reco tbody tr td:nth-child(5)', (t) => t.map((x) => x.textContent));
		assert.ok(because.length > 0 && because.every((t) => t && t !== '—'), 'every item explained');
		await page.fill('#user-id', 'abc');
		await page.click('#user-form button[type=submit]');
		assert.equal(await page.isVisible('#user-error'), true);
		await page.fill('#user-id', '17');
		await page.click('#user-form button[type=submit]');
		await shot('users');
	});

	it('trains on request and shows the new version', async () => {
		await page.click('a[data-nav=models]');
		await page.waitForSelector('#models-table tbody tr');
		const ids = await page.$$eval('#models-table tbody tr', (rs) => rs.map((r) => Number(r.dataset.version)));
		const top = Math.max(...ids);
		await page.click('#train-now');
		await page.waitForSelector(`#models-table tbody tr[data-version="${top + 1}"]`, { timeout: 120000 });
		await page.waitForFunction(() => /ready/.test(document.getElementById('train-status').textContent));
		assert.match(await page.textContent('#runs-table'), /admin/);
		await shot('models');
	});

	/* The version /recommend serves, polled until it is want (or fails). */
	async function servedVersion(user, want) {
		let v = null, arm = undefined;
		for (let i = 0; i < 60; i++) {
			const j = await (await fetch(`${HTTP}/recommend/${user}?format=json`)).json();
			v = j.model ? j.model.version : null;
			arm = j.arm;
			if (want === undefined || v === want) break;
			await new Promise((r) => setTimeout(r, 200));
		}
		return { v, arm };
	}

	it('rolls back to an earlier version and pins it from the Models page', async () => {
		await page.click('a[data-nav=models]');
		await page.waitForSelector('#models-table tbody tr.current');
		const cur = Number(await page.getAttribute('#models-table tbody tr.current', 'data-version'));
		const older = cur - 1;
		assert.ok(older >= 1, 'two versions to switch between');
		assert.match(await page.textContent(`#models-table tr[data-version="${cur}"] td.gate`), /promoted|first/);
		page.once('dialog', (d) => d.accept('browser rollback'));
		await page.click(`button[data-use="${older}"]`);
		await page.waitForSelector(`#models-table tbody tr.current[data-version="${older}"]`, { timeout: 10000 });
		assert.equal((await servedVersion(17, older)).v, older, 'every worker serves it');
		await page.click(`button[data-pin="${older}"]`);
		await page.waitForFunction((v) => /pinned/.test(document.querySelector(`#models-table tr[data-version="${v}"]`).textContent), older);
		const log = await page.textContent('#lifecycle-table');
		assert.match(log, /use.*browser rollback/s);
		assert.match(log, /pin/);
		await shot('models-lifecycle');
		await page.click(`button[data-pin="${older}"]`);
		await page.waitForFunction((v) => !/pinned/.test(document.querySelector(`#models-table tr[data-version="${v}"]`).textContent), older);
	});

	/* Does /popular hold id, 8 answers in a row (every worker)? */
	async function popularHolds(id, want) {
		let run = 0;
		for (let i = 0; i < 100 && run < 8; i++) {
			const ids = (await (await fetch(`${HTTP}/popular`)).text()).trim().split(',');
			if (ids.includes(id) === want) run++;
			else { run = 0; await new Promise((r) => setTimeout(r, 100)); }
		}
		return run === 8;
	}

	it('withdraws a movie from every list and restores it from the Models page', async () => {
		await page.click('a[data-nav=models]');
		await page.waitForSelector('#withdraw-form');
		const top = (await (await fetch(`${HTTP}/popular`)).text()).split(',')[0];
		await page.fill('#withdraw-movie', top);
		await page.fill('#withdraw-why', 'licence ended');
		await page.click('#withdraw-go');
		await page.waitForSelector(`#withdrawn-table tr[data-movie="${top}"]`, { timeout: 10000 });
		assert.match(await page.textContent(`#withdrawn-table tr[data-movie="${top}"]`), /licence ended/);
		assert.ok(await popularHolds(top, false), 'gone from /popular on every worker');
		assert.match(await page.textContent('#lifecycle-table'), /withdraw/);
		await shot('models-withdrawn');
		await page.fill('#withdraw-movie', 'no+such+movie+1900');
		await page.click('#withdraw-go');
		await page.waitForSelector('#withdraw-error:not([hidden])');
		assert.match(await page.textContent('#withdraw-error'), /no movie is spelled/);
		await page.click(`#withdrawn-table tr[data-movie="${top}"] button`);
		await page.waitForFunction((id) => !document.querySelector(`#withdrawn-table tr[data-movie="${id}"]`), top, { timeout: 10000 });
		assert.ok(await popularHolds(top, true), 'back in /popular');
	});

	it('starts an experiment, watches its arms and stops it', async () => {
		await page.click('a[data-nav=experiments]');
		await page.waitForSelector('#page-experiments:not([hidden])');
		await page.waitForFunction(() => /candidate=\d+:50/.test(document.getElementById('exp-arms-input').value));
		await page.fill('#exp-name', 'browser-ab');
		await page.fill('#exp-min', '20');
		await page.click('#exp-start');
		await page.waitForFunction(() => /running/.test(document.getElementById('exp-actions').textContent), null, { timeout: 10000 });
		assert.equal(await page.$$eval('#exp-arms tbody tr', (r) => r.length), 2);
		/* Lists for 60 users; those of the candidate follow theirs. */
		let arms = {};
		for (let i = 0; i < 100 && Object.keys(arms).length < 2; i++) {
			arms = {};
			for (let u = 1; u <= 60; u++) {
				const j = await (await fetch(`${HTTP}/recommend/${u}?format=json`)).json();
				if (j.arm) (arms[j.arm] ||= []).push([u, j.items[0].id]);
			}
			if (Object.keys(arms).length < 2) await new Promise((r) => setTimeout(r, 200));
		}
		assert.deepEqual(Object.keys(arms).sort(), ['1/candidate', '1/control']);
		await new Promise((r) => setTimeout(r, 1500));
		await sendLines(arms['1/candidate'].map(([u, m]) => `${stamp(Date.now())},${u},GET /data/m/${m}/0.mpg`));
		await page.waitForFunction(() => {
			const c = document.querySelector('#exp-arms tr[data-arm=candidate] td.ctr');
			return c && parseFloat(c.textContent) > 50;
		}, null, { timeout: 20000 });
		assert.match(await page.textContent('#exp-arms tr[data-arm=candidate] td.p-msprt'), /\d/);
		await page.waitForFunction(() => Number(document.getElementById('chart-exp').dataset.points) >= 1);
		await shot('experiments');
		await page.click('#exp-stop');
		await page.waitForFunction(() => /stopped/.test(document.getElementById('exp-actions').textContent), null, { timeout: 10000 });
		assert.match(await page.textContent('#exp-decision'), /stopped by admin/);
		assert.match(await page.textContent('#exp-list'), /browser-ab/);
		for (let i = 0; i < 50 && (await servedVersion(1)).arm; i++)
			await new Promise((r) => setTimeout(r, 200));
		assert.equal((await servedVersion(1)).arm, null, 'no arm once stopped');
		await shot('experiments-stopped');
	});

	it('shows ingest rates, rejection reasons with samples and connected senders', async () => {
		const sender = await sendLines([`${stamp(Date.now())},5,GET /data/m/x+2000/1.mpg`,
		    `${stamp(Date.now())},4242,GET /create_account`,
		    `${stamp(Date.now())},5,GET /search/q=lion`], true);
		try {
			await page.click('a[data-nav=ingest]');
			await page.waitForFunction(() => Number(document.getElementById('i-senders').textContent) >= 1, null, { timeout: 10000 });
			assert.match(await page.textContent('#ingest-reasons'), /bad_rating/);
			assert.match(await page.textContent('#ingest-samples'), /this is not a log line/);
			/* A sample of every reason, however frequent another is. */
			assert.match(await page.textContent('#ingest-samples'), /=9/);
			assert.match(await page.textContent('#ingest-shapes'), /GET \/search\//);
			assert.ok((await figure('#q-accounts')) >= 1);
			await page.waitForFunction(() => document.querySelectorAll('#chart-reasons canvas').length > 0, null, { timeout: 10000 });
			assert.match(await page.textContent('#ingest-senders'), /127\.0\.0\.1/);
			await shot('ingest');
		} finally {
			sender.end();
		}
	});

	it('changes a setting, validated, applied and audited', async () => {
		await page.click('a[data-nav=settings]');
		await page.waitForSelector('#set-click_window_s');
		await page.fill('#set-click_window_s', 'ten');
		await page.click('[data-key=click_window_s] button:has-text("Save")');
		await page.waitForSelector('[data-key=click_window_s] .setting-error:not([hidden])');
		assert.match(await page.textContent('[data-key=click_window_s] .setting-error'), /integer/);
		await page.fill('#set-click_window_s', '600');
		await page.click('[data-key=click_window_s] button:has-text("Save")');
		await page.waitForFunction(() => /changed by admin/.test(document.querySelector('[data-key=click_window_s] .setting-meta').textContent));
		assert.equal(await page.inputValue('#set-click_window_s'), '600');
		/* Applied: the overview reports the new click window. */
		const o = await page.evaluate(async () => (await fetch('/api/overview')).json());
		assert.equal(o.click_window_s, 600);
		await shot('settings');
		await page.click('a[data-nav=audit]');
		await page.waitForFunction(() => /click_window_s = 600/.test(document.getElementById('audit-table').textContent));
		const audit = await page.textContent('#audit-table');
		assert.match(audit, /train now/);
		assert.match(audit, /login failed/);
		await shot('audit');
	});

	it('refuses a POST without the CSRF token', async () => {
		let r = await page.request.post(ADMIN + '/api/train', { data: '' });
		assert.equal(r.status(), 403);
		assert.match(await r.text(), /CSRF/);
		r = await page.request.post(ADMIN + '/api/settings', {
			headers: { 'x-csrf-token': 'A'.repeat(43), 'content-type': 'application/x-www-form-urlencoded' },
			data: 'key=click_window_s&value=5',
		});
		assert.equal(r.status(), 403);
		const status = await page.evaluate(async () => (await fetch('/logout', { method: 'POST' })).status);
		assert.equal(status, 403, 'logout needs the token too');
	});

	it('draws the minutes before it was opened (server-side history)', async () => {
		const opened = Date.now();
		const p = await context.newPage();
		await p.goto(ADMIN + '/#overview');
		/* The first sample already brings the server's last minutes. */
		await p.waitForFunction(() => Number(document.getElementById('chart-traffic').dataset.points) > 5, null, { timeout: 10000 });
		const h = await p.evaluate(async () => (await (await fetch('/api/history')).json()));
		assert.ok(h.samples.length > 5, `${h.samples.length} samples`);
		assert.ok(h.samples[0][0] < opened - 5000, 'history older than the page');
		const lines = h.samples.map((x) => x[2]);
		assert.ok(lines[lines.length - 1] > lines[0], 'the lines streamed earlier are in it');
		assert.equal(h.interval_ms, 2000);
		await p.close();
	});

	it('labels the counts as what they count', async () => {
		await page.click('a[data-nav=overview]');
		await page.waitForFunction(() => /Lists served by cinerec/.test(document.getElementById('count-facts').textContent));
		const facts = await page.textContent('#count-facts');
		assert.match(facts, /Lists served by cinerec\d/);
		/* Nothing sent a recommendation line on this stream: none seen. */
		assert.match(facts, /Lists seen on the stream0/);
		const r = await fetch(ADMIN + '/favicon.ico');
		assert.equal(r.status, 200);
		assert.equal(r.headers.get('content-type'), 'image/x-icon');
	});

	/* Every page, waited for, at a size; the overflow it has sideways. */
	const PAGES = [
		['overview', () => /^v\d+$/.test(document.getElementById('k-model').textContent)],
		['models', () => document.querySelectorAll('#models-table tbody tr').length > 0],
		['users', () => document.querySelectorAll('#user-served tbody tr').length > 0],
		['ingest', () => document.querySelectorAll('#ingest-reasons tbody tr').length > 0],
		['settings', () => document.querySelectorAll('#settings-edit input').length > 0],
		['experiments', () => document.querySelectorAll('#exp-list tbody tr').length > 0],
		['audit', () => document.querySelectorAll('#audit-table tbody tr').length > 0],
	];
	async function visit(p, name, ready) {
		await p.goto(ADMIN + '/#' + (name === 'users' ? 'users/17' : name));
		await p.waitForFunction(ready, null, { timeout: 15000 });
		await p.waitForTimeout(400);
		return p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	}

	it('fits a phone screen on every page, with a menu', async () => {
		const p = await context.newPage();
		await p.setViewportSize({ width: 390, height: 844 });
		for (const [name, ready] of PAGES) {
			const overflow = await visit(p, name, ready);
			assert.ok(overflow <= 1, `${name}: no sideways scrolling (${overflow}px)`);
			await shot(name + '-phone', p);
		}
		/* The pages are behind the menu, which closes once one is chosen. */
		assert.equal(await p.isVisible('a[data-nav=audit]'), false);
		await p.click('#menu-toggle');
		assert.equal(await p.isVisible('a[data-nav=audit]'), true);
		assert.equal(await p.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
		await shot('menu-phone', p);
		await p.click('a[data-nav=settings]');
		await p.waitForSelector('#page-settings:not([hidden])');
		assert.equal(await p.isVisible('a[data-nav=audit]'), false);
		/* A table row is a card, each cell under its column's name. */
		await visit(p, 'users', PAGES[2][1]);
		assert.equal(await p.getAttribute('#user-served tbody tr td:first-child', 'data-label'), 'Time');
		assert.equal(await p.isVisible('#user-served thead'), false);
		await p.close();
	});

	it('fits 1280 px: no clipped table, whole dates, titles in lists', async () => {
		const p = await context.newPage();
		await p.setViewportSize({ width: 1280, height: 800 });
		for (const [name, ready] of PAGES) {
			const overflow = await visit(p, name, ready);
			assert.ok(overflow <= 1, `${name}: no sideways scrolling (${overflow}px)`);
			await shot(name + '-1280', p);
			if (name === 'models') {
				const clip = await p.evaluate(() => { const t = document.getElementById('models-table');
					return t.scrollWidth - t.parentElement.clientWidth; });
				assert.ok(clip <= 1, `the versions table is clipped by ${clip}px`);
			}
			if (name === 'users') {
				const cut = await p.$$eval('#user-kpis .kpi-value', (v) => v.filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.textContent));
				assert.deepEqual(cut, [], 'no figure cut');
				/* Lists served: titles, the slug on hover. */
				const span = await p.$('#user-served tbody tr td.titles span');
				assert.ok(span, 'a listed movie');
				assert.match(await span.textContent(), /\(\d{4}\)$/);
				assert.match(await span.getAttribute('title'), /^[^ ]+\+\d{4}$/);
			}
		}
		/* Another page starts at its top. */
		await p.evaluate(() => window.scrollTo(0, 2000));
		assert.ok(await p.evaluate(() => window.scrollY) > 0, 'the audit page scrolls');
		await p.click('a[data-nav=settings]');
		await p.waitForSelector('#page-settings:not([hidden])');
		assert.equal(await p.evaluate(() => window.scrollY), 0);
		await p.close();
	});

	it('logs out and the session is revoked', async () => {
		const [ck] = (await context.cookies()).filter((c) => c.name.includes('cinerec'));
		await page.click('#logout');
		await page.waitForURL(/\/login$/);
		const r = await page.request.get(ADMIN + '/api/overview');
		assert.equal(r.status(), 401);
		/* The old token is dead on the server, not only in the browser. */
		const replay = await fetch(ADMIN + '/api/session', { headers: { cookie: `${ck.name}=${ck.value}` } });
		assert.equal(replay.status, 401);
	});

	it('ran without a script error or a CSP violation', () => {
		assert.deepEqual(pageErrors, []);
	});
});
