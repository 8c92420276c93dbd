// SPDX-License-Identifier: GPL-2.0
// leak_html.js - the script of `memrec report leak --format html`, built
// into the page by leak_html.c. It reads the JSON report from the page's
// #memrec-data element (docs/memrec-report-json.md) and draws:
//  - a flame graph of the outstanding user bytes: the process on top, then
//    the frames outermost first, the allocator at the bottom, each box as
//    wide as the bytes below it. A click zooms into a box, "reset zoom"
//    goes back, the search box highlights the frames whose name holds its
//    text and says what share of the bytes they hold;
//  - the user sites under the zoomed box, biggest first, with their stacks;
//  - the kernel side: the kernel rows, with their kernel and user stacks.
// Names come from the trace file and may be hostile: they are only ever
// set as textContent or title, never parsed as markup.
'use strict';
(function () {
	var ROW = 17;		// px per row of the flame graph
	var MIN_PX = 0.3;	// boxes narrower than this are not drawn
	var SHOWN = 20;		// sites listed before "show all"
	var data = JSON.parse(document.getElementById('memrec-data').textContent);
	var $ = function (id) { return document.getElementById(id); };

	// mr_human_bytes() of format.c
	function human(v) {
		var a = Math.abs(v);
		if (a >= 1073741824)
			return (v / 1073741824).toFixed(2) + ' GiB';
		if (a >= 1048576)
			return (v / 1048576).toFixed(1) + ' MiB';
		if (a >= 1024)
			return (v / 1024).toFixed(1) + ' KiB';
		return v + ' B';
	}

	function pct(part, whole) {
		return (whole ? 100 * part / whole : 0).toFixed(1) + '%';
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function basename(path) {
		return path.slice(path.lastIndexOf('/') + 1);
	}

	function plural(n, what) {
		return n + ' ' + what + (n === 1 ? '' : 's');
	}

	// ---- the tree of the flame graph, as leak_folded.c names the frames

	function frameName(fr) {
		if (fr.function)
			return fr.function;
		return fr.module ? '[' + basename(fr.module) + ']' : '[unknown]';
	}

	var nodes = [];
	function Node(name, parent) {
		this.id = nodes.length;
		this.name = name;
		this.parent = parent;
		this.depth = parent ? parent.depth + 1 : 0;
		this.bytes = 0;
		this.rows = [];		// indices into data.leaks of the rows through it
		this.kids = [];
		this.byName = new Map();	// a Map: a name may be "__proto__"
		nodes.push(this);
	}

	function child(n, name) {
		var c = n.byName.get(name);
		if (!c) {
			c = new Node(name, n);
			n.byName.set(name, c);
			n.kids.push(c);
		}
		return c;
	}

	function sortKids(n) {
		n.kids.sort(function (a, b) { return b.bytes - a.bytes; });
		n.kids.forEach(sortKids);
	}

	var root = new Node('all', null);
	data.leaks.forEach(function (r, i) {
		var path = [r.comm + ' (' + r.pid + ')'], n = root;
		for (var k = r.stack.length - 1; k >= 0; k--)
			path.push(frameName(r.stack[k]));
		path.push(r.alloc_fn);
		root.bytes += r.bytes;
		root.rows.push(i);
		path.forEach(function (name) {
			n = child(n, name);
			n.bytes += r.bytes;
			n.rows.push(i);
		});
	});
	sortKids(root);

	// ---- drawing

	var zoom = root;

	// flamegraph.pl's "hot" palette, the same colour for the same name
	function colour(name) {
		var h = 0;
		for (var i = 0; i < name.length; i++)
			h = (h * 31 + name.charCodeAt(i)) >>> 0;
		var v1 = (h & 0xff) / 255, v2 = ((h >>> 8) & 0xff) / 255;
		return 'rgb(' + Math.round(205 + 50 * v2) + ',' + Math.round(230 * v1) + ',' +
			Math.round(55 * v2) + ')';
	}

	function box(flame, n, x, w, above) {
		var d = el('div', 'fr' + (above ? ' above' : ''), n.name);
		d.style.left = x + 'px';
		d.style.width = w + 'px';
		d.style.top = n.depth * ROW + 'px';
		d.style.background = colour(n.name);
		d.title = n.name + '\n' + human(n.bytes) + ' (' + n.bytes + ' bytes, ' +
			pct(n.bytes, root.bytes) + ' of all) in ' + plural(n.rows.length, 'site');
		d.dataset.node = n.id;
		flame.appendChild(d);
		return n.depth;
	}

	function draw() {
		var flame = $('flame'), width = flame.clientWidth || 1000, deepest = 0;

		flame.textContent = '';
		if (!root.bytes) {
			flame.appendChild(el('p', 'note', 'No user bytes outstanding at the end of ' +
					     'the trace.'));
			flame.style.height = 'auto';
			return;
		}
		for (var a = zoom.parent; a; a = a.parent)
			box(flame, a, 0, width, true);
		(function walk(n, x, w) {
			if (w < MIN_PX)
				return;
			deepest = Math.max(deepest, box(flame, n, x, w, false));
			n.kids.forEach(function (k) {
				var kw = w * k.bytes / n.bytes;
				walk(k, x, kw);
				x += kw;
			});
		})(zoom, 0, width);
		flame.style.height = (deepest + 1) * ROW + 'px';
		search();
	}

	function zoomTo(n) {
		var names = [];
		zoom = n;
		for (var a = n; a; a = a.parent)
			names.unshift(a.name);
		$('fg-path').textContent = n === root ? '' : 'zoomed into: ' + names.join(' \u203a ') +
			' (' + human(n.bytes) + ', ' + pct(n.bytes, root.bytes) + ' of all)';
		draw();
		userSites();
	}

	// The bytes under the boxes whose name holds q, each counted once.
	function matched(n, q) {
		if (n.name.toLowerCase().indexOf(q) >= 0)
			return n.bytes;
		return n.kids.reduce(function (sum, k) { return sum + matched(k, q); }, 0);
	}

	function search() {
		var q = $('fg-search').value.toLowerCase(), m;
		Array.prototype.forEach.call($('flame').children, function (d) {
			var n = nodes[d.dataset.node];
			if (n)
				d.classList.toggle('match', q !== '' &&
						   n.name.toLowerCase().indexOf(q) >= 0);
		});
		if (!q) {
			$('fg-match').textContent = '';
			return;
		}
		m = matched(root, q);
		$('fg-match').textContent = 'matched: ' + human(m) + ' of ' + human(root.bytes) +
			' (' + pct(m, root.bytes) + ')';
	}

	// ---- the sites

	function stack(title, frames) {
		var d = el('div', 'stack');
		if (title)
			d.appendChild(el('div', 'note', title));
		frames.forEach(function (fr, i) {
			var line = el('div'), mod;
			line.appendChild(document.createTextNode('#' + i + ' '));
			if (fr.function)
				line.appendChild(el('span', 'fn', fr.function + (fr.inlined ? ' (inlined)' :
							     '+0x' + fr.offset.toString(16))));
			else
				line.appendChild(el('span', 'fn', fr.addr + ' [unknown]'));
			if (fr.module) {
				mod = el('span', 'mod', ' (' + basename(fr.module) + ')');
				mod.title = fr.module;
				line.appendChild(mod);
			}
			if (fr.file)
				line.appendChild(el('span', 'src', ' ' + fr.file + ':' + fr.line));
			d.appendChild(line);
		});
		if (!frames.length)
			d.appendChild(el('div', 'note', 'no stack'));
		return d;
	}

	function ages(r) {
		return 'age ' + r.age_min_s.toFixed(3) + '..' + r.age_max_s.toFixed(3) + ' s';
	}

	// The place for more about one site (a chart of its growth over the
	// recording, when the rows carry one): the box is there, empty for now.
	/* The site's outstanding bytes over the recording (its growth series), drawn
	   on a canvas with its verdict: what tells a leak from a cache. */
	var GROWTH_COLOUR = { growing: '#c62828', plateau: '#1565c0', transient: '#2e7d32' };

	function siteExtras(r, extra) {
		var s = r.series, w = 320, h = 56, c, g, n, peak, i;
		if (!s || !s.bytes || !s.bytes.length)
			return;
		n = s.bytes.length;
		peak = Math.max(s.peak_bytes || 0, 1);
		c = el('canvas', 'growth-chart');
		c.width = w;
		c.height = h;
		c.dataset.growth = r.growth || '';
		c.dataset.points = n;
		g = c.getContext('2d');
		g.fillStyle = '#f4f4f4';
		g.fillRect(0, 0, w, h);
		g.beginPath();
		for (i = 0; i < n; i++) {
			var x = n > 1 ? 2 + i * (w - 4) / (n - 1) : w / 2;
			var y = h - 2 - s.bytes[i] / peak * (h - 4);
			if (i)
				g.lineTo(x, y);
			else
				g.moveTo(x, y);
		}
		g.strokeStyle = GROWTH_COLOUR[r.growth] || '#555';
		g.lineWidth = 2;
		g.stroke();
		extra.appendChild(c);
		extra.appendChild(el('div', 'growth-caption', 'growth: ' + (r.growth || 'not judged') +
				     ', peak ' + human(s.peak_bytes) + ', ' + n + ' marks of ' +
				     s.interval_s + ' s'));
	}

	function userSite(r, i) {
		var d = el('div', 'site'), extra = el('div', 'site-extra');
		var size = r.size_min === r.size_max ? r.size_min : r.size_min + '..' + r.size_max;
		d.id = 'site-' + (i + 1);
		d.appendChild(el('h3', null, '#' + (i + 1) + ' ' + human(r.bytes) + ' in ' +
				 plural(r.count, 'block') + ' of ' + size + ' bytes from ' + r.alloc_fn +
				 ', pid ' + r.pid + ' (' + r.comm + '), ' + ages(r) +
				 (r.inherited ? ', inherited at fork' : '')));
		d.appendChild(stack(null, r.stack));
		extra.dataset.site = i + 1;
		siteExtras(r, extra);
		d.appendChild(extra);
		return d;
	}

	function kernelSite(r, i) {
		var d = el('div', 'site'), what;
		if (r.kind === 'page')
			what = plural(r.count, 'order-' + r.order + ' page block');
		else if (r.kind === 'vmalloc')
			what = plural(r.count, 'vmalloc area');
		else if (r.kind === 'percpu')
			what = plural(r.count, 'per-CPU object') +
				(r.call_site ? ' from ' + r.call_site : '');
		else
			what = plural(r.count, 'object') + ' of ' + (r.cache === 'kmalloc' ? 'kmalloc' :
				'cache ' + r.cache) + (r.call_site ? ' from ' + r.call_site : '');
		d.id = 'ksite-' + (i + 1);
		d.appendChild(el('h3', null, '#' + (i + 1) + ' ' + human(r.bytes) + ' in ' + what +
				 ', pid ' + r.pid + ' (' + r.comm + '), ' + ages(r)));
		d.appendChild(stack('kernel stack:', r.kernel_stack));
		d.appendChild(stack('user stack:', r.stack));
		return d;
	}

	// rows[] (indices into all) into box, SHOWN of them and a button for the rest
	function list(box, all, rows, make, shown) {
		box.textContent = '';
		rows.slice(0, shown).forEach(function (i) { box.appendChild(make(all[i], i)); });
		if (rows.length > shown) {
			var more = el('button', null, 'show all ' + rows.length);
			more.type = 'button';
			more.onclick = function () { list(box, all, rows, make, rows.length); };
			box.appendChild(more);
		}
	}

	function userSites() {
		var rows = zoom.rows;
		$('user-note').textContent = plural(rows.length, 'site') + ', ' + human(zoom.bytes) +
			(zoom === root ? ' outstanding' : ' under the zoomed box') +
			(data.totals.sites > data.leaks.length ? ' (the report was cut by --top)' : '');
		list($('user-sites'), data.leaks, rows, userSite, SHOWN);
	}

	function kernelSites() {
		var k = data.kernel, rows = data.kernel_leaks.map(function (r, i) { return i; });
		$('kernel-note').textContent = k.recorded ?
			plural(k.sites, 'site') + ', ' + human(k.bytes) + ' in ' + k.count +
			' objects and page blocks still allocated' :
			'No kernel memory events in the file (record with -e kernel).';
		list($('kernel-sites'), data.kernel_leaks, rows, kernelSite, SHOWN);
	}

	$('flame').addEventListener('click', function (e) {
		var n = e.target.dataset ? nodes[e.target.dataset.node] : undefined;
		if (n)
			zoomTo(n);
	});
	$('fg-reset').addEventListener('click', function () { zoomTo(root); });
	$('fg-search').addEventListener('input', search);
	window.addEventListener('resize', draw);
	zoomTo(root);
	kernelSites();
})();
