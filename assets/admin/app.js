/*
 * cinerec admin: the login page's message and the one-page app (Overview,
 * Models, Users, Ingest, Settings, Audit).  Plain DOM, no build step, no
 * inline script or style (the CSP forbids both), text set with textContent
 * only.  Charts: uPlot (vendored, MIT).  Live figures: /metrics sampled
 * every 2 s from the moment the app opens, whatever the page.
 */
'use strict';

(function () {
	const SAMPLE_MS = 2000;		/* /metrics sampling period */
	const HISTORY = 300;		/* samples kept: 10 minutes */

	const $ = (sel, root) => (root || document).querySelector(sel);

	/* An element with attributes (class, text, title, ...) and children. */
	function el(tag, attrs, ...kids) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === undefined || v === null)
				continue;
			if (k === 'class')
				e.className = v;
			else if (k === 'text')
				e.textContent = v;
			else if (k.startsWith('on'))
				e.addEventListener(k.slice(2), v);
			else
				e.setAttribute(k, v);
		}
		for (const k of kids)
			if (k !== null && k !== undefined)
				e.append(k instanceof Node ? k : document.createTextNode(String(k)));
		return e;
	}

	function setText(id, text) {
		const e = document.getElementById(id);
		if (e)
			e.textContent = text;
	}

	/* --- formatting --- */
	const nf = new Intl.NumberFormat('en-US');
	function num(v) { return v === null || v === undefined ? '—' : nf.format(v); }
	function fixed(v, d) { return v === null || v === undefined || !isFinite(v) ? '—' : Number(v).toFixed(d); }
	function rate(v) {
		if (v === null || v === undefined || !isFinite(v)) return '—';
		if (v >= 1000) return nf.format(Math.round(v));
		if (v >= 100) return v.toFixed(0);
		if (v >= 10) return v.toFixed(1);
		return v.toFixed(2);
	}
	function pct(v, d) { return v === null || v === undefined || !isFinite(v) ? '—' : (100 * v).toFixed(d === undefined ? 1 : d) + '%'; }
	function bytes(v) {
		if (v === null || v === undefined) return '—';
		const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
		let i = 0;
		while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
		return (i ? v.toFixed(v >= 100 ? 0 : 1) : v) + ' ' + u[i];
	}
	function pad(n) { return String(n).padStart(2, '0'); }
	function when(ms) {
		if (ms === null || ms === undefined) return '—';
		const d = new Date(ms);
		return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
		    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
	}
	function ago(ms, now) {
		if (ms === null || ms === undefined) return '—';
		let s = Math.max(0, ((now || Date.now()) - ms) / 1000);
		if (s < 60) return Math.round(s) + ' s';
		if ((s /= 60) < 60) return Math.round(s) + ' min';
		if ((s /= 60) < 48) return s.toFixed(1) + ' h';
		return (s / 24).toFixed(1) + ' d';
	}
	function dur(ms) {
		if (ms === null || ms === undefined) return '—';
		if (ms < 1000) return Math.round(ms) + ' ms';
		if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
		return (ms / 60000).toFixed(1) + ' min';
	}
	function latency(sec) {
		if (sec === null || sec === undefined || !isFinite(sec)) return '—';
		const ms = sec * 1000;
		return ms < 1 ? ms.toFixed(2) : ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
	}
	function title(t, y, slug) {
		if (!t) return slug || '—';
		return y ? t + ' (' + y + ')' : t;
	}

	/* --- server --- */
	let session = null;

	/* An API answer: its JSON, or an Error with the server's reason. */
	async function answer(r) {
		if (r.status === 401) {
			location.href = '/login';
			throw new Error('login required');
		}
		const body = await r.json().catch(() => ({}));
		if (!r.ok)
			throw new Error(body.error || ('HTTP ' + r.status));
		return body;
	}

	async function api(path) {
		return answer(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
	}

	async function post(path, params) {
		const r = await fetch(path, {
			method: 'POST', credentials: 'same-origin',
			headers: { 'x-csrf-token': session ? session.csrf : '', 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
			body: new URLSearchParams(params || {}).toString(),
		});
		return answer(r);
	}

	let toastTimer = null;
	function toast(msg, bad) {
		const t = $('#toast');
		t.textContent = msg;
		t.classList.toggle('bad', !!bad);
		t.hidden = false;
		clearTimeout(toastTimer);
		toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
	}

	/* --- Prometheus text and the live sampler --- */
	function parseProm(text) {
		const out = [];
		for (const line of text.split('\n')) {
			if (!line || line[0] === '#') continue;
			const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
			if (!m) continue;
			const labels = {};
			if (m[2]) {
				const re = /(\w+)="((?:[^"\\]|\\.)*)"/g;
				let l;
				while ((l = re.exec(m[2])) !== null)
					labels[l[1]] = l[2];
			}
			out.push({ name: m[1], labels, value: parseFloat(m[3]) });
		}
		return out;
	}
	function sum(ms, name, pred) {
		let s = 0, seen = false;
		for (const m of ms)
			if (m.name === name && (!pred || pred(m.labels))) { s += m.value; seen = true; }
		return seen ? s : null;
	}
	function buckets(ms, name) {
		const b = [];
		for (const m of ms)
			if (m.name === name)
				b.push([m.labels.le === '+Inf' ? Infinity : parseFloat(m.labels.le), m.value]);
		return b.sort((x, y) => x[0] - y[0]);
	}
	/* Quantile q of the observations between two cumulative histograms. */
	function quantile(q, now, old) {
		if (!now.length || !old || now.length !== old.length) return null;
		const d = now.map((b, i) => [b[0], b[1] - old[i][1]]);
		const total = d[d.length - 1][1];
		if (total <= 0) return null;
		const rank = q * total;
		let prevLe = 0, prevC = 0;
		for (const [le, c] of d) {
			if (c >= rank) {
				if (le === Infinity) return prevLe;
				return prevLe + (le - prevLe) * (c > prevC ? (rank - prevC) / (c - prevC) : 1);
			}
			prevLe = le; prevC = c;
		}
		return prevLe;
	}

	const samples = [];	/* {t, req, lines, rej, hist, gauges} */
	const series = { t: [], rps: [], lines: [], rej: [] };
	let metricsText = null;

	function rateOver(key, n) {
		if (samples.length < 2) return null;
		const a = samples[Math.max(0, samples.length - 1 - n)], b = samples[samples.length - 1];
		if (a[key] === null || b[key] === null || b.t <= a.t) return null;
		return Math.max(0, (b[key] - a[key]) / ((b.t - a.t) / 1000));
	}

	/*
	 * The charts' series from the server's history (GET /api/history: a
	 * sample every 2 s, the last 10 minutes), so that a page opened now
	 * draws the minutes before it.  Rates between consecutive samples.
	 */
	async function loadHistory() {
		let h;
		try {
			h = await api('/api/history');
		} catch (e) {
			return;
		}
		for (const k of Object.keys(series)) series[k].length = 0;
		for (let i = 1; i < h.samples.length; i++) {
			const a = h.samples[i - 1], b = h.samples[i], dt = (b[0] - a[0]) / 1000;
			if (dt <= 0) continue;
			series.t.push(b[0] / 1000);
			series.rps.push(Math.max(0, (b[1] - a[1]) / dt));
			series.lines.push(Math.max(0, (b[2] - a[2]) / dt));
			series.rej.push(Math.max(0, (b[3] - a[3]) / dt));
		}
	}

	async function sample() {
		let text;
		try {
			const r = await fetch('/metrics', { credentials: 'same-origin' });
			if (r.status === 401) { location.href = '/login'; return; }
			if (!r.ok) throw new Error('HTTP ' + r.status);
			text = await r.text();
			live(true);
		} catch (e) {
			live(false);
			return;
		}
		metricsText = text;
		const ms = parseProm(text);
		const s = {
			t: Date.now(),
			req: sum(ms, 'cinerec_http_requests_total', l => l.route !== 'admin' && l.route !== 'metrics'),
			lines: sum(ms, 'cinerec_ingest_lines_total'),
			rej: sum(ms, 'cinerec_ingest_rejected_total'),
			hist: buckets(ms, 'cinerec_recommend_duration_seconds_bucket'),
			conns: sum(ms, 'cinerec_ingest_connections'),
			ctrToday: sum(ms, 'cinerec_ctr_ratio', l => l.window === 'today'),
			listsToday: sum(ms, 'cinerec_ctr_lists', l => l.window === 'today'),
			ctrHour: sum(ms, 'cinerec_ctr_ratio', l => l.window === '1h'),
			dbBytes: sum(ms, 'cinerec_database_size_bytes'),
		};
		samples.push(s);
		if (samples.length > HISTORY + 1) samples.shift();
		await loadHistory();
		if (current === 'overview') renderLive();
		if (current === 'ingest') renderIngestLive();
	}

	function live(ok) {
		const l = $('#live');
		if (!l) return;
		l.classList.toggle('ok', ok);
		l.classList.toggle('bad', !ok);
		setText('live-text', ok ? 'live · ' + new Date().toLocaleTimeString() : 'disconnected');
	}

	/* --- charts --- */
	const charts = {};
	const palette = { blue: '#3556d4', green: '#2b8a3e', red: '#e03131', amber: '#e8590c', violet: '#7048e8', gray: '#98a2b3' };

	function chartWidth(host) { return Math.max(260, host.clientWidth); }

	function lineChart(id, seriesDefs, data, opts) {
		const host = document.getElementById(id);
		if (!host || typeof uPlot === 'undefined') return;
		if (host.offsetParent === null) return;	/* hidden: draw when shown */
		/* How many points it draws (the browser tests read it). */
		host.dataset.points = String(data[0] ? data[0].length : 0);
		let c = charts[id];
		if (c && c._defs === JSON.stringify(seriesDefs.map(s => s.label))) {
			c.setData(data);
			return;
		}
		if (c) { c.destroy(); delete charts[id]; }
		const o = Object.assign({
			width: chartWidth(host), height: 240,
			cursor: { drag: { x: false, y: false } },
			scales: { x: { time: true } },
			axes: [
				{ stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#eef0f3' } },
				{ stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#eef0f3' }, size: 56 },
			],
			series: [(opts && opts.x) || {}].concat(seriesDefs),
		}, opts || {});
		delete o.x;
		c = new uPlot(o, data, host);
		c._defs = JSON.stringify(seriesDefs.map(s => s.label));
		charts[id] = c;
	}

	window.addEventListener('resize', () => {
		for (const [id, c] of Object.entries(charts)) {
			const host = document.getElementById(id);
			if (host && host.offsetParent !== null)
				c.setSize({ width: chartWidth(host), height: 240 });
		}
	});

	function trafficChart(id, withRequests) {
		const defs = [];
		const data = [series.t];
		if (withRequests) {
			defs.push({ label: 'API requests/s', stroke: palette.blue, width: 2, fill: 'rgba(53,86,212,.07)', value: (u, v) => rate(v) });
			data.push(series.rps);
		}
		defs.push({ label: 'Lines/s accepted', stroke: palette.green, width: 2, value: (u, v) => rate(v) });
		data.push(series.lines);
		defs.push({ label: 'Rejected/s', stroke: palette.red, width: 1.5, dash: [4, 3], value: (u, v) => rate(v) });
		data.push(series.rej);
		lineChart(id, defs, data, {
			x: { label: 'Time', value: (u, v) => v === null || v === undefined ? '—' : new Date(v * 1000).toLocaleTimeString() },
			scales: {
				x: { time: true, range: () => { const n = Date.now() / 1000; return [n - HISTORY * SAMPLE_MS / 1000, n]; } },
				y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] },
			},
		});
	}

	/* --- pages --- */
	let current = null;
	let pageTimer = null;
	let overview = null;

	const pages = {
		overview: { title: 'Overview', load: loadOverview, every: 5000 },
		models: { title: 'Models', load: loadModels, every: 5000 },
		users: { title: 'Users', load: () => {}, every: 0 },
		ingest: { title: 'Ingest', load: loadIngest, every: 4000 },
		settings: { title: 'Settings', load: loadSettings, every: 0 },
		experiments: { title: 'Experiments', load: loadExperiments, every: 5000 },
		audit: { title: 'Audit', load: loadAudit, every: 10000 },
	};

	function show(name) {
		if (!pages[name]) name = 'overview';
		/* Another page starts at its top; the phone's menu closes. */
		if (current !== name) window.scrollTo(0, 0);
		menu(false);
		current = name;
		for (const p of Object.keys(pages))
			$('#page-' + p).hidden = p !== name;
		for (const a of document.querySelectorAll('[data-nav]'))
			a.classList.toggle('active', a.dataset.nav === name);
		setText('page-title', pages[name].title);
		document.title = pages[name].title + ' · cinerec admin';
		clearInterval(pageTimer);
		run(name);
		if (pages[name].every)
			pageTimer = setInterval(() => run(name), pages[name].every);
	}

	/* The phone's menu (app.css hides the nav below 760 px). */
	function menu(open) {
		const sb = document.querySelector('.sidebar'), b = $('#menu-toggle');
		if (!sb || !b) return;
		sb.classList.toggle('open', open);
		b.setAttribute('aria-expanded', open ? 'true' : 'false');
	}

	/*
	 * Every table cell carries its column's name (data-label), which the
	 * phone layout shows above it when a row becomes a card.
	 */
	function labelCells(table) {
		const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
		for (const tr of table.querySelectorAll('tbody tr')) {
			const tds = tr.children;
			if (tds.length !== heads.length) continue;	/* "none yet" rows */
			for (let i = 0; i < tds.length; i++)
				if (heads[i]) tds[i].setAttribute('data-label', heads[i]);
		}
	}
	function watchTables() {
		for (const t of document.querySelectorAll('table.table')) {
			labelCells(t);
			new MutationObserver(() => labelCells(t)).observe(t.tBodies[0] || t, { childList: true });
		}
	}

	async function run(name) {
		try {
			await pages[name].load();
		} catch (e) {
			if (e.message !== 'login required') toast(e.message, true);
		}
	}

	/* Overview */
	async function loadOverview() {
		overview = await api('/api/overview');
		const o = overview;
		const alerts = $('#alerts');
		alerts.replaceChildren();
		for (const a of o.alerts)
			alerts.append(el('div', { class: 'alert alert-' + (a.level === 'crit' ? 'crit' : 'warn') },
			    el('b', { text: a.level === 'crit' ? 'Critical' : 'Warning' }), el('span', { text: a.text })));
		if (!o.alerts.length)
			alerts.append(el('div', { class: 'alert alert-ok' }, el('b', { text: 'OK' }), el('span', { text: 'No alert fires.' })));

		const c = o.counters || {};
		const m = o.model;
		setText('k-model', m ? 'v' + m.id : 'none');
		setText('k-model-sub', m ? m.algo + ' · ' + ago(m.created_ms, o.now_ms) + ' old' : 'popularity only');
		setText('k-db', bytes(o.db_bytes + o.wal_bytes));
		setText('k-db-sub', 'file ' + bytes(o.db_bytes) + ' · WAL ' + bytes(o.wal_bytes));

		const mf = $('#model-facts');
		mf.replaceChildren();
		const fact = (dl, k, v) => dl.append(el('dt', { text: k }), el('dd', { text: v }));
		if (m) {
			fact(mf, 'Version', 'v' + m.id + ' (' + m.algo + ')');
			fact(mf, 'Trained', when(m.created_ms) + ' · ' + ago(m.created_ms, o.now_ms) + ' ago');
			fact(mf, 'Trained on', num(m.interactions) + ' interactions · ' + num(m.users) + ' users · ' + num(m.items) + ' movies');
			fact(mf, 'Recall@20', fixed(m.eval_recall20, 4));
			fact(mf, 'NDCG@20', fixed(m.eval_ndcg20, 4));
			fact(mf, 'Catalogue coverage', pct(m.eval_coverage));
			fact(mf, 'Fit time', fixed(m.train_seconds, 2) + ' s');
		} else {
			fact(mf, 'Model', 'none yet: lists are popularity only');
		}
		if (o.last_run)
			fact(mf, 'Last training', '#' + o.last_run.id + ' ' + o.last_run.status + ' (' + o.last_run.trigger + ', ' + ago(o.last_run.started_ms, o.now_ms) + ' ago)');

		const cf = $('#count-facts');
		cf.replaceChildren();
		fact(cf, 'Movies', num(c.movies));
		fact(cf, 'Users', num(c.users));
		fact(cf, 'Watches', num(c.watches));
		fact(cf, 'Ratings', num(c.ratings));
		/* recos counts every list logged: served here or seen on the stream. */
		fact(cf, 'Lists served by cinerec', num(Math.max(0, (c.recos || 0) - (c.accepted_reco || 0))));
		fact(cf, 'Lists seen on the stream', num(c.accepted_reco || 0));
		fact(cf, 'Newest event', c.last_event_ms ? when(c.last_event_ms) : '—');
		fact(cf, 'Server started', when(o.started_ms) + ' · up ' + ago(o.started_ms, o.now_ms));
		fact(cf, 'Version', o.version + ' · ' + o.workers + ' workers');

		let acc = 0, rej = 0;
		for (const [k, v] of Object.entries(c)) {
			if (k.startsWith('accepted_')) acc += v;
			if (k.startsWith('rejected_')) rej += v;
		}
		setText('k-accepted', num(acc));
		setText('k-accepted-sub', num(rej) + ' rejected all time');

		ctrChart(o);
		renderLive();
	}

	function ctrChart(o) {
		const days = [...new Set(o.ctr_daily.map(r => r.day))].sort((a, b) => a - b);
		$('#ctr-empty').hidden = days.length > 0;
		$('#chart-ctr').hidden = days.length === 0;
		setText('ctr-note', 'click window ' + o.click_window_s + ' s');
		if (!days.length) return;
		const val = src => days.map(d => {
			const r = o.ctr_daily.find(x => x.day === d && x.source === src);
			return r && r.lists > 0 ? 100 * r.followed / r.lists : null;
		});
		const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 26] }) : undefined;
		lineChart('chart-ctr', [
			{ label: 'Served by cinerec', stroke: palette.blue, fill: 'rgba(53,86,212,.55)', paths: bars, points: { show: !bars }, value: (u, v) => v === null ? '—' : v.toFixed(1) + '%' },
			{ label: 'Seen on the stream', stroke: palette.gray, fill: 'rgba(152,162,179,.55)', paths: bars, points: { show: !bars }, value: (u, v) => v === null ? '—' : v.toFixed(1) + '%' },
		], [days.map(d => d * 86400), val('served'), val('external')], {
			x: { label: 'Day', value: (u, v) => v === null || v === undefined ? '—' : new Date(v * 1000).toISOString().slice(0, 10) },
			axes: [
				{ stroke: '#667085', grid: { show: false } },
				{ stroke: '#667085', grid: { stroke: '#eef0f3' }, size: 56, values: (u, v) => v.map(x => x + '%') },
			],
			scales: {
				x: { time: true, range: () => {
					const today = Math.floor(Date.now() / 86400000);
					return [(Math.min(today - 13, days[0]) - 1) * 86400, (Math.max(today, days[days.length - 1]) + 1) * 86400];
				} },
				y: { range: (u, min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] },
			},
		});
	}

	function renderLive() {
		if (!samples.length) return;
		const s = samples[samples.length - 1];
		const rps = rateOver('req', 5);
		setText('k-rps', rate(rps));
		const old = samples[Math.max(0, samples.length - 16)];
		if (s.hist.length && old !== s) {
			const p50 = quantile(0.5, s.hist, old.hist), p99 = quantile(0.99, s.hist, old.hist);
			setText('k-lat', p50 === null ? '—' : latency(p50) + ' / ' + latency(p99) + ' ms');
			setText('k-lat-sub', p50 === null ? 'no /recommend in the last 30 s' : '/recommend, last 30 s');
		}
		setText('k-lines', rate(rateOver('lines', 5)));
		setText('k-rej', rate(rateOver('rej', 5)));
		setText('k-rej-sub', s.conns === null ? '' : num(s.conns) + ' TCP sender' + (s.conns === 1 ? '' : 's') + ' connected');
		if (s.ctrToday !== null) {
			setText('k-ctr', s.listsToday > 0 ? pct(s.ctrToday) : '—');
			setText('k-ctr-sub', num(s.listsToday) + ' lists today · last hour ' + (s.ctrHour !== null ? pct(s.ctrHour) : '—'));
		}
		trafficChart('chart-traffic', true);
	}

	/* Models */
	function params(json) {
		try {
			return Object.entries(JSON.parse(json)).map(([k, v]) => k + ' ' + v).join(' · ');
		} catch (e) {
			return json;
		}
	}

	let trainWatch = null;	/* {before: max model id, since} while a training is awaited */

	async function loadModels() {
		/* Both first: the page is drawn in one go, never half new. */
		const [d, w] = await Promise.all([api('/api/models'), api('/api/withdrawn')]);
		const now = Date.now();
		setText('train-schedule', d.train_interval_min > 0 ?
		    'Scheduled training every ' + d.train_interval_min + ' min; a new version becomes current when it is ready.' :
		    'No scheduled training (train_interval_min = 0).');
		setText('models-count', d.models.length + ' version' + (d.models.length === 1 ? '' : 's'));
		const tb = $('#models-table tbody');
		tb.replaceChildren();
		for (const m of d.models) {
			const online = m.lists > 0 ? pct(m.followed / m.lists) : '—';
			const tr = el('tr', { class: m.current ? 'current' : null, 'data-version': m.id },
			    el('td', { class: 'nowrap' }, el('b', { text: 'v' + m.id }), ' ', m.current ? el('span', { class: 'badge badge-accent', text: 'current' }) : null,
				el('span', { class: 'sub', text: (m.trigger || '—') + ' · ' + m.binary_version }),
				el('span', { class: 'sub', text: 'data ' + (m.data_from_ms ? when(m.data_from_ms).slice(2, 10) : '?') + ' → ' + (m.data_to_ms ? when(m.data_to_ms).slice(2, 10) : '?') }),
				el('div', { class: 'row-actions' }, ...versionActions(m))),
			    el('td', { class: 'params' }, m.algo, el('span', { class: 'sub', text: params(m.params) })),
			    el('td', { class: 'nowrap' }, when(m.created_ms).slice(0, 16), el('span', { class: 'sub', text: ago(m.created_ms, now) + ' ago' })),
			    el('td', { class: 'num' }, num(m.interactions), el('span', { class: 'sub', text: num(m.users) + ' users · ' + num(m.items) + ' movies' }),
				el('span', { class: 'sub', text: 'fit ' + fixed(m.train_seconds, 2) + ' s' })),
			    el('td', { class: 'num' }, fixed(m.eval_recall20, 4), el('span', { class: 'sub', text: 'NDCG ' + fixed(m.eval_ndcg20, 4) }),
				el('span', { class: 'sub', text: 'coverage ' + pct(m.eval_coverage) })),
			    el('td', { class: 'gate' }, gateBadge(m.gate),
				m.gate_reason ? el('span', { class: 'sub reason', text: m.gate_reason }) : null),
			    el('td', { class: 'num' }, online, m.lists > 0 ? el('span', { class: 'sub', text: num(m.lists) + ' lists' }) : null));
			tb.append(tr);
		}
		setText('withdrawn-count', w.withdrawn.length ? w.withdrawn.length + ' withdrawn · in no list of any kind' : 'none: every movie may be recommended');
		const wb = $('#withdrawn-table tbody');
		wb.replaceChildren();
		for (const m of w.withdrawn)
			wb.append(el('tr', { 'data-movie': m.id },
			    el('td', {}, title(m.title, m.year, m.id), el('span', { class: 'sub mono', text: m.id })),
			    el('td', { class: 'nowrap', text: when(m.since_ms) }),
			    el('td', { text: m.who }),
			    el('td', { text: m.why || '' }),
			    el('td', {}, el('button', { type: 'button', class: 'btn', text: 'Restore', onclick: (ev) => restoreMovie(m.id, ev.target) }))));
		const lb = $('#lifecycle-table tbody');
		lb.replaceChildren();
		for (const a of d.log || [])
			lb.append(el('tr', {},
			    el('td', { class: 'nowrap', text: when(a.ts) }),
			    el('td', { text: a.who }),
			    el('td', {}, el('span', { class: 'badge ' + (/refused|aborted/.test(a.detail + ' ' + a.action) ? 'badge-crit' : 'badge-accent'), text: a.action })),
			    el('td', { text: a.model_id ? 'v' + a.model_id : a.experiment_id ? 'exp #' + a.experiment_id : '—' }),
			    el('td', { text: a.detail || '' })));
		const rb = $('#runs-table tbody');
		rb.replaceChildren();
		for (const r of d.runs) {
			const cls = r.status === 'done' ? 'badge-ok' : r.status === 'failed' ? 'badge-crit' : 'badge-warn';
			rb.append(el('tr', {},
			    el('td', { text: '#' + r.id }),
			    el('td', { class: 'nowrap', text: when(r.started_ms) }),
			    el('td', { class: 'nowrap', text: r.finished_ms ? dur(r.finished_ms - r.started_ms) : 'running ' + ago(r.started_ms, now) }),
			    el('td', { text: r.trigger }),
			    el('td', {}, el('span', { class: 'badge ' + cls, text: r.status })),
			    el('td', { text: r.model_id ? 'v' + r.model_id : '—' }),
			    el('td', { text: r.message || '' })));
		}
		const asc = d.models.slice().sort((a, b) => a.id - b.id);
		if (asc.length)
			lineChart('chart-models', [
				{ label: 'Recall@20', stroke: palette.blue, width: 2, points: { size: 7 }, value: (u, v) => fixed(v, 4) },
				{ label: 'NDCG@20', stroke: palette.violet, width: 2, points: { size: 7 }, value: (u, v) => fixed(v, 4) },
				{ label: 'Coverage', stroke: palette.amber, width: 1.5, dash: [4, 3], points: { size: 6 }, value: (u, v) => fixed(v, 3) },
			], [asc.map(m => m.id), asc.map(m => m.eval_recall20), asc.map(m => m.eval_ndcg20), asc.map(m => m.eval_coverage)], {
				x: { label: 'Version', value: (u, v) => v === null || v === undefined ? '—' : 'v' + v },
				scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] }, y: { range: [0, 1] } },
				axes: [
					{ stroke: '#667085', grid: { show: false }, values: (u, v) => v.map(x => Number.isInteger(x) ? 'v' + x : '') },
					{ stroke: '#667085', grid: { stroke: '#eef0f3' }, size: 56 },
				],
			});

		const maxId = d.models.reduce((a, m) => Math.max(a, m.id), 0);
		const running = d.runs.find(r => r.status === 'running');
		if (trainWatch && maxId > trainWatch.before) {
			const nv = d.models.find(m => m.id === maxId);
			const made = nv && nv.current ? ' is current.' : ' is kept, not promoted: ' + (nv ? nv.gate_reason : '');
			setText('train-status', 'Version v' + maxId + (nv && nv.current ? ' is ready.' : ' was refused by the gate.'));
			toast('Training done: version v' + maxId + made);
			trainWatch = null;
			$('#train-now').disabled = false;
		} else if (trainWatch || running) {
			setText('train-status', running ? 'Training run #' + running.id + ' in progress…' : 'Training requested…');
		}
	}

	function gateBadge(g) {
		if (!g) return el('span', { class: 'muted', text: '—' });
		const cls = g === 'refused' ? 'badge-crit' : g === 'forced' ? 'badge-warn' : 'badge-ok';
		return el('span', { class: 'badge ' + cls, text: g });
	}

	/* A version's state badges and buttons: use (roll back), pin, unpin. */
	function versionActions(m) {
		const out = [];
		if (m.pinned) out.push(el('span', { class: 'badge badge-warn', text: 'pinned' }), ' ');
		if (m.collected_ms) {
			out.push(el('span', { class: 'muted', text: 'files collected' }));
			return out;
		}
		if (!m.current) {
			const b = el('button', { type: 'button', class: 'btn btn-small', 'data-use': m.id, text: 'Use' });
			b.addEventListener('click', () => versionAct('use', m.id, b));
			out.push(b, ' ');
		}
		const p = el('button', { type: 'button', class: 'btn btn-small btn-ghost', 'data-pin': m.id, text: m.pinned ? 'Unpin' : 'Pin' });
		p.addEventListener('click', () => versionAct(m.pinned ? 'unpin' : 'pin', m.id, p));
		out.push(p);
		return out;
	}

	async function versionAct(what, id, button) {
		const form = { version: id };
		if (what === 'use') {
			const why = window.prompt('Make version v' + id + ' current now. Why? (recorded)', 'rollback');
			if (why === null) return;
			form.why = why;
		}
		button.disabled = true;
		try {
			const r = await post('/api/models/' + what, form);
			toast(r.message);
			await run('models');
		} catch (e) {
			toast('Not done: ' + e.message, true);
			button.disabled = false;
		}
	}

	/* Experiments */
	function pval(v) { return v === null || v === undefined ? '—' : v < 0.0001 ? '< 0.0001' : Number(v).toFixed(4); }

	let expFormFilled = false;

	async function loadExperiments() {
		const d = await api('/api/experiments');
		const e = d.experiments[0];
		const running = e && e.status === 'running';
		if (!expFormFilled && d.versions) {
			const cand = d.versions.find(v => !v.current);
			$('#exp-arms-input').value = 'control=current:50,' + (cand ? 'candidate=' + cand.id + ':50' : 'candidate=VERSION:50');
			expFormFilled = true;
		}
		$('#exp-start').disabled = !!running;
		setText('exp-title', e ? 'Experiment #' + e.id + ' ' + e.name : 'No experiment yet');
		const actions = $('#exp-actions');
		actions.replaceChildren();
		if (e)
			actions.append(el('span', { class: 'badge ' + (e.status === 'running' ? 'badge-accent' : e.status === 'aborted' ? 'badge-crit' : e.status === 'promoted' ? 'badge-ok' : 'badge-warn'), text: e.status }));
		if (running) {
			const stop = el('button', { type: 'button', class: 'btn', id: 'exp-stop', text: 'Stop' });
			stop.addEventListener('click', () => stopExperiment(null, stop));
			actions.append(' ', stop);
			for (const a of e.arms.slice(1))
				if (a.model > 0) {
					const b = el('button', { type: 'button', class: 'btn btn-primary', 'data-promote': a.name, text: 'Stop, promote ' + a.name });
					b.addEventListener('click', () => stopExperiment(a.name, b));
					actions.append(' ', b);
				}
		}
		setText('exp-sub', e ? 'started ' + when(e.started_ms) + (e.stopped_ms ? ', ended ' + when(e.stopped_ms) : '') +
		    ' · decides after ' + num(e.min_lists) + ' lists per arm · p99 limit ' + e.max_p99_ms + ' ms · at most ' + e.max_hours + ' h' +
		    (e.auto_promote ? ' · promotes a significantly better arm' : '') : 'Start one below: the arms share the users, each a model version.');
		const dec = $('#exp-decision');
		dec.hidden = !(e && e.decision);
		dec.textContent = e && e.decision ? 'Decision: ' + e.decision : '';
		const tb = $('#exp-arms tbody');
		tb.replaceChildren();
		for (const [i, a] of (e ? e.arms : []).entries())
			tb.append(el('tr', { 'data-arm': a.name },
			    el('td', {}, el('b', { text: a.name }), i === 0 ? el('span', { class: 'sub', text: 'control' }) : null),
			    el('td', { text: a.model ? 'v' + a.model : 'current' }),
			    el('td', { class: 'num', text: (a.share / 10).toFixed(1) + '%' }),
			    el('td', { class: 'num lists' }, num(a.lists), el('span', { class: 'sub', text: num(a.users) + ' users · ' + pct(a.error_rate) + ' empty' })),
			    el('td', { class: 'num ctr' }, pct(a.ctr), el('span', { class: 'sub', text: pct(a.lo) + ' – ' + pct(a.hi) })),
			    el('td', { class: 'num', text: a.followed ? fixed(a.mean_rank, 2) : '—' }),
			    el('td', { class: 'num', text: fixed(a.minutes_per_list, 2) }),
			    el('td', { class: 'num' }, fixed(a.latency_ms, 2) + ' ms', el('span', { class: 'sub', text: 'p99 ' + (a.p99_over_ms ? '> ' + a.p99_over_ms : '≤ 1') + ' ms' })),
			    i === 0 ? el('td', { class: 'num', text: 'control' }) :
			    el('td', { class: 'num p-msprt' }, (a.diff >= 0 ? '+' : '') + (100 * a.diff).toFixed(2) + ' pts',
				el('span', { class: 'sub', text: 'p ' + pval(a.p_msprt) + ' · z-test p ' + pval(a.p_z) }))));
		const has = e && e.series && e.series.hours.length > 0;
		$('#exp-chart-empty').hidden = !!has;
		$('#chart-exp').hidden = !has;
		if (has) {
			const colors = [palette.gray, palette.blue, palette.green, palette.amber, palette.violet, palette.red];
			lineChart('chart-exp', e.arms.map((a, i) => ({ label: a.name, stroke: colors[i % colors.length], width: 2, points: { size: 7 },
			    value: (u, v) => v === null || v === undefined ? '—' : (100 * v).toFixed(1) + '%' })),
			    [e.series.hours].concat(e.series.ctr), {
				x: { label: 'Hour', value: (u, v) => v === null || v === undefined ? '—' : new Date(v * 1000).toISOString().slice(0, 13) + ':00' },
				scales: { x: { time: true, range: () => [e.series.hours[0] - 1800, e.series.hours[e.series.hours.length - 1] + 1800] }, y: { range: [0, 1] } },
				axes: [
					{ stroke: '#667085', grid: { show: false } },
					{ stroke: '#667085', grid: { stroke: '#eef0f3' }, size: 56, values: (u, v) => v.map(x => Math.round(100 * x) + '%') },
				],
			});
		}
		const lb = $('#exp-list tbody');
		lb.replaceChildren();
		for (const x of d.experiments)
			lb.append(el('tr', {},
			    el('td', { text: '#' + x.id }),
			    el('td', { text: x.name }),
			    el('td', {}, el('span', { class: 'badge ' + (x.status === 'aborted' ? 'badge-crit' : x.status === 'running' ? 'badge-accent' : ''), text: x.status })),
			    el('td', { class: 'nowrap', text: when(x.started_ms) }),
			    el('td', { class: 'nowrap', text: x.stopped_ms ? when(x.stopped_ms) : '—' }),
			    el('td', { text: x.arms.map(a => a.name + ' ' + (a.model ? 'v' + a.model : 'current') + ' ' + (a.share / 10) + '%').join(' · ') }),
			    el('td', { text: x.decision || '' })));
	}

	async function startExperiment(ev) {
		ev.preventDefault();
		const err = $('#exp-error');
		err.hidden = true;
		const form = { name: $('#exp-name').value.trim(), arms: $('#exp-arms-input').value.trim(),
		    min_lists: $('#exp-min').value, max_hours: $('#exp-hours').value, max_p99_ms: $('#exp-p99').value };
		if ($('#exp-auto').checked) form.auto_promote = '1';
		try {
			const r = await post('/api/experiments', form);
			toast(r.message);
			await run('experiments');
		} catch (e) {
			err.textContent = e.message;
			err.hidden = false;
		}
	}

	async function withdrawMovie(ev) {
		ev.preventDefault();
		const err = $('#withdraw-error');
		err.hidden = true;
		try {
			const r = await post('/api/withdrawn/withdraw', { movie: $('#withdraw-movie').value.trim(), why: $('#withdraw-why').value.trim() });
			toast(r.message);
			$('#withdraw-movie').value = '';
			$('#withdraw-why').value = '';
			await run('models');
		} catch (e) {
			err.textContent = e.message;
			err.hidden = false;
		}
	}

	async function restoreMovie(movie, button) {
		button.disabled = true;
		try {
			const r = await post('/api/withdrawn/restore', { movie });
			toast(r.message);
			await run('models');
		} catch (e) {
			toast('Not restored: ' + e.message, true);
			button.disabled = false;
		}
	}

	async function stopExperiment(promote, button) {
		button.disabled = true;
		try {
			const r = await post('/api/experiments/stop', promote ? { promote } : {});
			toast(r.message);
			await run('experiments');
		} catch (e) {
			toast('Not stopped: ' + e.message, true);
			button.disabled = false;
		}
	}

	async function trainNow() {
		const b = $('#train-now');
		b.disabled = true;
		try {
			const d = await api('/api/models');
			trainWatch = { before: d.models.reduce((a, m) => Math.max(a, m.id), 0), since: Date.now() };
			await post('/api/train');
			setText('train-status', 'Training requested…');
			toast('Training requested: the new version appears here when it is ready.');
			clearInterval(pageTimer);
			pageTimer = setInterval(() => {
				run('models');
				if (!trainWatch || Date.now() - trainWatch.since > 30 * 60000) {
					clearInterval(pageTimer);
					pageTimer = setInterval(() => run('models'), pages.models.every);
					b.disabled = false;
				}
			}, 1500);
		} catch (e) {
			trainWatch = null;
			b.disabled = false;
			setText('train-status', '');
			toast('Training not started: ' + e.message, true);
		}
	}

	/* Users */
	async function lookUp(ev) {
		ev.preventDefault();
		const id = $('#user-id').value.trim();
		const err = $('#user-error');
		err.hidden = true;
		if (!/^[0-9]{1,19}$/.test(id)) {
			err.textContent = 'A user id is a non-negative whole number.';
			err.hidden = false;
			return;
		}
		if (location.hash !== '#users/' + id)
			history.replaceState(null, '', '#users/' + id);
		let d;
		try {
			d = await api('/api/users/' + id);
		} catch (e) {
			err.textContent = e.message;
			err.hidden = false;
			return;
		}
		renderUser(d);
	}

	/* A served list's movies: titles, each with its slug on hover. */
	function served(s) {
		const slugs = s.results ? s.results.split(',') : [];
		const titles = s.titles ? s.titles.split('\u001f') : slugs;
		const out = [];
		slugs.forEach((slug, i) => {
			if (i) out.push(', ');
			out.push(el('span', { title: slug, text: titles[i] || slug }));
		});
		return out.length ? out : ['—'];
	}

	function renderUser(d) {
		$('#user-result').hidden = false;
		const p = d.profile;
		const k = $('#user-kpis');
		k.replaceChildren();
		const kpi = (label, value, sub) => k.append(el('div', { class: 'kpi' },
		    el('span', { class: 'kpi-label', text: label }), el('span', { class: 'kpi-value', text: value }), el('span', { class: 'kpi-sub', text: sub || '' })));
		kpi('User', '#' + d.user, p ? 'first seen ' + when(p.first_ts).slice(0, 10) : 'not seen yet');
		kpi('Movies watched', num(d.watches.length === 50 ? '50+' : d.watches.length), p ? num(p.watch_lines) + ' minute lines' : '');
		kpi('Ratings', num(p ? p.ratings : 0), '');
		kpi('Last activity', p ? when(p.last_ts).slice(0, 10) : '—', p ? when(p.last_ts).slice(11, 16) + ' · ' + num(p.recos) + ' lists on the stream' : '');

		const r = d.recommendations;
		setText('user-reco-model', r && r.model ? 'model v' + r.model.version + ' (' + r.model.algo + ') · ' + r.personal + ' personal' : 'popularity only');
		const rb = $('#user-reco tbody');
		rb.replaceChildren();
		for (const it of (r ? r.items : [])) {
			rb.append(el('tr', {},
			    el('td', { class: 'num', text: it.rank }),
			    el('td', {}, title(it.title, it.title_year, it.id), el('span', { class: 'sub mono', text: it.id })),
			    el('td', { class: 'num', text: it.source === 'model' ? fixed(it.score, 3) : '—' }),
			    el('td', {}, el('span', { class: 'badge ' + (it.source === 'model' ? 'badge-accent' : ''), text: it.source })),
			    el('td', {}, it.because ? title(it.because_title, it.because_title_year, it.because) :
				el('span', { class: 'muted', text: it.source === 'popular' ? 'popular in the last ' + (r.window_days || 7) + ' days' : 'fits their taste profile (' + (r.model ? r.model.algo : 'model') + ' score)' }))));
		}
		const sb = $('#user-served tbody');
		sb.replaceChildren();
		for (const s of d.served)
			sb.append(el('tr', {},
			    el('td', { class: 'nowrap', text: when(s.ts) }),
			    el('td', { text: s.source }),
			    el('td', { text: s.model_version ? 'v' + s.model_version + (s.arm ? ' · ' + s.arm : '') : (s.source === 'served' ? 'popularity' : '—') }),
			    el('td', { class: 'num', text: s.personal === null ? '—' : s.personal }),
			    el('td', { class: 'num', text: s.followed_rank ? '#' + s.followed_rank : '—' }),
			    el('td', { class: 'num', text: s.latency_ms === null ? '—' : s.latency_ms + ' ms' }),
			    el('td', { class: 'titles' }, ...served(s))));
		if (!d.served.length)
			sb.append(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No list served to this user yet.' })));
		const wb = $('#user-watches tbody');
		wb.replaceChildren();
		for (const w of d.watches)
			wb.append(el('tr', {},
			    el('td', {}, title(w.title, w.year, w.slug)),
			    el('td', { class: 'num', text: num(w.minutes) }),
			    el('td', { class: 'nowrap', text: when(w.last_ts) })));
		if (!d.watches.length)
			wb.append(el('tr', {}, el('td', { colspan: 3, class: 'muted', text: 'No watches.' })));
		const tb = $('#user-ratings tbody');
		tb.replaceChildren();
		for (const x of d.ratings)
			tb.append(el('tr', {},
			    el('td', {}, title(x.title, x.year, x.slug)),
			    el('td', { class: 'nowrap', text: d.rating_max > 10 ? x.rating + ' / ' + d.rating_max : '★'.repeat(x.rating) + '☆'.repeat(Math.max(0, (d.rating_max || 5) - x.rating)) }),
			    el('td', { class: 'nowrap', text: when(x.ts) })));
		if (!d.ratings.length)
			tb.append(el('tr', {}, el('td', { colspan: 3, class: 'muted', text: 'No ratings.' })));
	}

	/* Ingest */
	async function loadIngest() {
		const d = await api('/api/ingest');
		const kinds = d.counters.filter(c => c.name.startsWith('accepted_'));
		const reasons = d.counters.filter(c => c.name.startsWith('rejected_'));
		const acc = kinds.reduce((a, c) => a + c.value, 0);
		const rej = reasons.reduce((a, c) => a + c.value, 0);
		setText('i-rejected', num(rej));
		setText('i-rejected-sub', acc + rej > 0 ? pct(rej / (acc + rej), 2) + ' of all lines' : 'all time');
		setText('i-senders', num(d.senders.length));
		setText('i-listen', 'TCP ' + d.listen);
		setText('token-note', d.token_required ? 'ingest token required (AUTH)' : 'no ingest token required');
		const fill = (sel, rows, total) => {
			const tb = $(sel + ' tbody');
			tb.replaceChildren();
			for (const r of rows.slice().sort((a, b) => b.value - a.value))
				tb.append(el('tr', {},
				    el('td', { text: r.name.replace(/^(accepted|rejected)_/, '') }),
				    el('td', { class: 'num', text: num(r.value) }),
				    el('td', { class: 'num', text: total ? pct(r.value / total) : '—' })));
		};
		fill('#ingest-kinds', kinds, acc);
		fill('#ingest-reasons', reasons, rej);
		$('#reasons-empty').hidden = reasons.length > 0;
		const sb = $('#ingest-samples tbody');
		sb.replaceChildren();
		for (const s of d.samples)
			sb.append(el('tr', {},
			    el('td', { class: 'nowrap', text: when(s.ts) }),
			    el('td', {}, el('span', { class: 'badge badge-warn', text: s.reason })),
			    el('td', { class: 'line', text: s.line })));
		$('#samples-empty').hidden = d.samples.length > 0;
		const q = d.quality || {};
		setText('q-accounts', num(q.accounts || 0));
		setText('q-idle', num(q.accounts_idle || 0));
		setText('q-outliers', num(q.users_outlier || 0));
		setText('q-usermax', q.user_max === null || q.user_max === undefined ? '—' : String(q.user_max));
		const hb = $('#ingest-shapes tbody');
		hb.replaceChildren();
		for (const x of d.shapes)
			hb.append(el('tr', {},
			    el('td', {}, el('code', { text: x.shape })),
			    el('td', { class: 'nowrap', text: when(x.first_ts) }),
			    el('td', { class: 'nowrap', text: when(x.last_ts) }),
			    el('td', { class: 'num', text: num(x.lines) })));
		$('#shapes-empty').hidden = d.shapes.length > 0;
		reasonsChart(d.hourly);
		const nb = $('#ingest-senders tbody');
		nb.replaceChildren();
		for (const s of d.senders)
			nb.append(el('tr', {}, el('td', { class: 'mono', text: s.addr }), el('td', { class: 'num', text: s.port })));
		$('#senders-empty').hidden = d.senders.length > 0;
		renderKafka(d.kafka);
		renderIngestLive();
	}

	/* The Kafka input, when one is configured. */
	function renderKafka(k) {
		$('#kafka-card').hidden = !k;
		if (!k)
			return;
		setText('kafka-note', 'topic ' + k.topic + ' from ' + k.brokers +
		    (k.fixed_partitions ? ', partitions ' + k.fixed_partitions + ' (a serving replica\'s)' : ', group ' + k.group) +
		    (k.served_topic ? (k.replica ? ' · served lists to ' + k.served_topic + ': ' + num(k.served_sent) +
		    ' sent, ' + num(k.served_failed) + ' not' : ' · the replicas\' served lists from ' + k.served_topic) : ''));
		const up = k.running && k.brokers_up > 0;
		setText('kafka-state', (up ? 'connected' : k.running ? 'no broker reachable (retrying)' : 'not running') +
		    ' · lag ' + num(Math.max(k.lag, 0)) + ' messages · ' + num(k.messages) + ' taken (' +
		    num(k.accepted) + ' lines accepted, ' + num(k.rejected) + ' rejected) · ' +
		    num(k.skipped) + ' redelivered and skipped · ' + num(k.rebalances) + ' rebalances · ' +
		    num(k.errors) + ' errors');
		const tb = $('#kafka-parts tbody');
		tb.replaceChildren();
		for (const p of k.parts)
			tb.append(el('tr', {},
			    el('td', { class: 'num', text: (p.topic === k.topic ? '' : p.topic + ' ') + String(p.partition) }),
			    el('td', { class: 'num', text: p.position < 0 ? '—' : num(p.position) }),
			    el('td', { class: 'num', text: p.high < 0 ? '—' : num(p.high) }),
			    el('td', { class: 'num', text: p.high < 0 ? '—' : num(Math.max(p.high - Math.max(p.position, 0), 0)) })));
	}

	/* Each reason's share of an hour's lines, from /api/ingest's hourly. */
	const reasonColors = [palette.red, palette.amber, palette.violet, palette.blue, palette.gray, '#0b7285', '#5c940d', '#a61e4d', '#364fc7', '#862e9c', '#d9480f'];
	function reasonsChart(rows) {
		const hours = [...new Set(rows.map(r => r.hour))].sort((a, b) => a - b);
		const reasons = [...new Set(rows.filter(r => r.reason !== 'ok').map(r => r.reason))].sort();
		$('#hourly-empty').hidden = hours.length > 0;
		if (!hours.length) return;
		const total = new Map(), by = new Map();
		for (const r of rows) {
			total.set(r.hour, (total.get(r.hour) || 0) + r.lines);
			by.set(r.reason + '@' + r.hour, r.lines);
		}
		const data = [hours.map(h => h * 3600)];
		const defs = reasons.map((r, i) => ({ label: r, stroke: reasonColors[i % reasonColors.length], width: 1.5, value: (u, v) => v === null || v === undefined ? '—' : pct(v, 2) }));
		for (const r of reasons)
			data.push(hours.map(h => (by.get(r + '@' + h) || 0) / total.get(h)));
		lineChart('chart-reasons', defs, data, {
			x: { label: 'Hour', value: (u, v) => v === null || v === undefined ? '—' : new Date(v * 1000).toLocaleString() },
			scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(0.01, max * 1.15)] } },
		});
	}

	function renderIngestLive() {
		setText('i-lines', rate(rateOver('lines', 5)));
		setText('i-rej', rate(rateOver('rej', 5)));
		trafficChart('chart-ingest', false);
	}

	/* Settings */
	async function loadSettings() {
		const d = await api('/api/settings');
		const box = $('#settings-edit');
		box.replaceChildren();
		const fixedRows = $('#settings-fixed tbody');
		fixedRows.replaceChildren();
		for (const s of d.settings) {
			if (!s.editable) {
				fixedRows.append(el('tr', {},
				    el('td', {}, el('code', { text: s.key })),
				    el('td', { class: 'mono', text: s.value === '' ? '(empty)' : s.value }),
				    el('td', { class: 'muted', text: s.help })));
				continue;
			}
			const input = el('input', { type: s.secret ? 'password' : 'text', value: s.value, 'aria-label': s.key, id: 'set-' + s.key, autocomplete: 'off', spellcheck: 'false' });
			const err = el('p', { class: 'setting-error', hidden: '' });
			const save = el('button', { type: 'button', class: 'btn btn-primary btn-small', text: 'Save' });
			const reset = el('button', { type: 'button', class: 'btn btn-small', text: 'Reset', title: 'Back to the configured value (' + (s.configured === '' ? 'empty' : s.configured) + ')' });
			const showBtn = s.secret ? el('button', { type: 'button', class: 'btn btn-small', text: 'Show' }) : null;
			if (showBtn)
				showBtn.addEventListener('click', () => {
					input.type = input.type === 'password' ? 'text' : 'password';
					showBtn.textContent = input.type === 'password' ? 'Show' : 'Hide';
				});
			const submit = async (params) => {
				err.hidden = true;
				save.disabled = reset.disabled = true;
				try {
					await post('/api/settings', params);
					toast(params.reset ? s.key + ' reset to the configured value' : s.key + ' saved' + (s.live ? ': applied within a second' : ': applies at the next start'));
					await loadSettings();
				} catch (e) {
					err.textContent = e.message;
					err.hidden = false;
					save.disabled = reset.disabled = false;
				}
			};
			save.addEventListener('click', () => submit({ key: s.key, value: input.value }));
			input.addEventListener('keydown', (e) => { if (e.key === 'Enter') submit({ key: s.key, value: input.value }); });
			reset.addEventListener('click', () => submit({ key: s.key, reset: '1' }));
			if (s.changed_ms === undefined) reset.disabled = true;
			box.append(el('div', { class: 'setting', 'data-key': s.key },
			    el('div', { class: 'setting-name' }, el('code', { text: s.key }), el('p', { text: s.help })),
			    el('div', { class: 'setting-input' }, input, showBtn, save, reset),
			    el('div', { class: 'setting-meta' },
				el('span', { class: 'badge ' + (s.live ? 'badge-ok' : 'badge-warn'), text: s.live ? 'applies live' : 'needs a restart' }),
				el('span', { text: s.changed_ms !== undefined ? 'changed by ' + s.changed_by + ', ' + ago(s.changed_ms) + ' ago' : 'configured value' })),
			    err));
		}
	}

	/* Audit */
	async function loadAudit() {
		const d = await api('/api/audit');
		const ab = $('#accounts-table tbody');
		ab.replaceChildren();
		for (const a of d.accounts)
			ab.append(el('tr', {},
			    el('td', {}, el('b', { text: a.name }), ' ', session && a.name === session.admin ? el('span', { class: 'badge badge-accent', text: 'you' }) : null),
			    el('td', { class: 'nowrap', text: when(a.created_ms) }),
			    el('td', { class: 'nowrap', text: when(a.pw_changed_ms) }),
			    el('td', { class: 'nowrap', text: a.last_login_ms ? when(a.last_login_ms) : 'never' }),
			    el('td', { class: 'num', text: a.sessions })));
		const tb = $('#audit-table tbody');
		tb.replaceChildren();
		for (const a of d.audit) {
			const cls = /failed|throttled/.test(a.action) ? 'badge-crit' : a.action === 'login' || a.action === 'logout' ? '' : 'badge-accent';
			tb.append(el('tr', {},
			    el('td', { class: 'nowrap', text: when(a.ts) }),
			    el('td', { text: a.who }),
			    el('td', {}, el('span', { class: 'badge ' + cls, text: a.action })),
			    el('td', { text: a.detail || '' }),
			    el('td', { class: 'mono', text: a.addr || (a.who === 'cli' ? 'command line' : '—') })));
		}
	}

	/* --- start --- */
	function route() {
		const h = location.hash.replace(/^#/, '');
		const [name, arg] = h.split('/');
		show(name || 'overview');
		if (name === 'users' && arg && /^[0-9]+$/.test(arg) && $('#user-id').value !== arg) {
			$('#user-id').value = arg;
			$('#user-form').requestSubmit();
		}
	}

	async function startApp() {
		try {
			session = await api('/api/session');
		} catch (e) {
			return;
		}
		setText('who', session.admin);
		setText('version', 'cinerec ' + session.version);
		$('#logout').addEventListener('click', async () => {
			try { await post('/logout'); } catch (e) { /* gone anyway */ }
			location.href = '/login';
		});
		$('#train-now').addEventListener('click', trainNow);
		$('#user-form').addEventListener('submit', lookUp);
		$('#exp-form').addEventListener('submit', startExperiment);
		$('#withdraw-form').addEventListener('submit', withdrawMovie);
		$('#menu-toggle').addEventListener('click', () =>
		    menu(!document.querySelector('.sidebar').classList.contains('open')));
		watchTables();
		window.addEventListener('hashchange', route);
		route();
		sample();
		setInterval(sample, SAMPLE_MS);
	}

	function startLogin() {
		const q = new URLSearchParams(location.search);
		const e = q.get('error');
		if (!e) return;
		const box = $('#login-error');
		box.textContent = e === 'throttled' ?
		    'Too many failed attempts: try again in ' + (q.get('retry') || 'a few') + ' min.' :
		    e === 'invalid' ? 'Wrong account or password.' : 'The server could not check the login; try again.';
		box.hidden = false;
	}

	document.addEventListener('DOMContentLoaded', () => {
		if (document.body.dataset.page === 'login')
			startLogin();
		else
			startApp();
	});
})();
