/**
 * The JavaScript that runs inside report.html (plain ES5-style code in a string: it is embedded,
 * not bundled). It draws the embedded Vega specs lazily as they scroll into view, fits them to
 * their column, and wires the side panel: experiment checkboxes and a name filter that apply to
 * every chart, the table and the sections; the smoothing slider and log/linear switch of the
 * training curves; download buttons (CSV of the chart's rows, SVG, PNG); tooltips.
 *
 * `window.vanishing` exposes the views and a few actions, for readers who script the page and for
 * the browser tests.
 */
export const pageScript = String.raw`
(function () {
  var charts = JSON.parse(document.getElementById('chart-specs').textContent);
  var curves = JSON.parse(document.getElementById('curve-specs').textContent);
  var names = JSON.parse(document.getElementById('experiment-names').textContent);
  var groups = JSON.parse(document.getElementById('seed-groups').textContent);
  var byId = {};
  charts.forEach(function (chart) { byId[chart.id] = chart; });
  var views = {};
  var pending = {};
  var tip = document.getElementById('tooltip');
  var status = document.getElementById('status');
  var smoothing = 0.6;
  var curveScale = 'log';
  var drawn = 0;

  function escape(text) { return String(text).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function showTooltip(handler, event, item, value) {
    if (value === undefined || value === null || value === '') { tip.style.display = 'none'; return; }
    var rows = typeof value === 'object'
      ? Object.keys(value).filter(function (key) { return value[key] !== undefined && value[key] !== null && value[key] !== ''; }).map(function (key) { return '<b>' + escape(key) + '</b>: ' + escape(value[key]); })
      : [escape(value)];
    tip.innerHTML = rows.join('<br>');
    tip.style.left = Math.min(event.clientX + 14, window.innerWidth - 260) + 'px';
    tip.style.top = (event.clientY + 14) + 'px';
    tip.style.display = 'block';
  }

  function visibleNames() {
    var filter = document.getElementById('filter').value.trim().toLowerCase();
    return names.filter(function (name) {
      var box = document.querySelector('input.experiment-box[data-name="' + CSS.escape(name) + '"]');
      return box !== null && box.checked && (filter === '' || name.toLowerCase().indexOf(filter) >= 0);
    });
  }

  // What the charts show: the visible experiments, and a seed group's mean while any of its runs is visible.
  function shownSeries() {
    var visible = visibleNames();
    return visible.concat(groups.filter(function (group) {
      return group.members.some(function (member) { return visible.indexOf(member) >= 0; });
    }).map(function (group) { return group.label; }));
  }

  function fitWidth(view, container, spec) {
    var width = Math.max(320, container.clientWidth - 24);
    if (spec.autosize !== undefined && spec.autosize.type === 'fit') {
      view.width(width).height(Math.round(spec.height * Math.min(1, Math.max(0.6, width / spec.width))));
      return;
    }
    // Stacked views (the training curves) share one width: the plots as wide as the column allows beside the legend.
    if (spec.vconcat !== undefined || (spec.layout !== undefined && spec.width !== undefined)) view.width(Math.max(280, width - 270));
  }

  // A legend wider than the room left for it (long experiment names) would push the chart past
  // its box: once drawn, the plot gives up the excess.
  function shrinkToFit(view, container, spec) {
    var resizable = (spec.autosize !== undefined && spec.autosize.type === 'fit') || spec.vconcat !== undefined || (spec.layout !== undefined && spec.width !== undefined);
    var canvas = container.querySelector('canvas');
    var excess = canvas === null ? 0 : canvas.getBoundingClientRect().width - (container.clientWidth - 4);
    if (!resizable || excess <= 0) return Promise.resolve(view);
    view.width(Math.max(200, view.width() - Math.ceil(excess)));
    return view.runAsync();
  }

  function updateStatus() {
    var total = charts.length + curves.length;
    status.textContent = drawn === total ? 'all ' + total + ' charts drawn' : drawn + ' of ' + total + ' charts drawn (the rest draw as they scroll into view)';
  }

  function draw(id) {
    if (views[id] !== undefined || pending[id] !== undefined) return pending[id] || Promise.resolve(views[id]);
    var container = document.getElementById(id);
    var chart = byId[id];
    var curve = null;
    curves.forEach(function (c) { if (c.id === id) curve = c; });
    var spec = curve !== null ? curve[curveScale] : chart.spec;
    var view = new vega.View(vega.parse(spec)).tooltip(showTooltip).initialize(container).renderer('canvas').hover();
    fitWidth(view, container, spec);
    if (curve !== null ? curve.filterable : chart.filterable) view.signal('shown', shownSeries());
    if (curve !== null) view.data('points', smoothed(curve.points));
    pending[id] = view.runAsync().then(function () { return shrinkToFit(view, container, spec); }).then(function () {
      views[id] = view;
      delete pending[id];
      container.setAttribute('data-rendered', 'true');
      drawn++;
      updateStatus();
      return view;
    }).catch(function (error) {
      delete pending[id];
      container.textContent = 'This chart could not be drawn: ' + error.message;
      console.error(error);
    });
    return pending[id];
  }

  // Exponential moving average per experiment, debiased at the start (as TensorBoard smooths).
  function smoothed(points) {
    var state = {};
    return points.map(function (p) {
      var s = state[p.series] || (state[p.series] = { average: null, weight: 0 });
      var value = p.raw;
      var usable = value !== null && isFinite(value) && (curveScale !== 'log' || value > 0);
      if (usable) {
        // The debiased average (TensorBoard's), updated in a form whose first value is the first
        // point exactly: average += (1 - smoothing) / weight * (value - average).
        s.weight = smoothing * s.weight + (1 - smoothing);
        s.average = s.average === null ? value : s.average + (1 - smoothing) / s.weight * (value - s.average);
      }
      return { series: p.series, x: p.x, raw: value, smooth: s.average };
    });
  }

  function redrawCurves() {
    curves.forEach(function (curve) {
      var view = views[curve.id];
      if (view !== undefined) { view.data('points', smoothed(curve.points)).runAsync(); }
    });
  }

  function replaceCurves() {
    curves.forEach(function (curve) {
      var view = views[curve.id];
      if (view === undefined) return;
      view.finalize();
      delete views[curve.id];
      drawn--;
      var container = document.getElementById(curve.id);
      container.removeAttribute('data-rendered');
      container.innerHTML = '';
      draw(curve.id);
    });
  }

  function applyShown() {
    var shown = visibleNames();
    var series = shownSeries();
    Object.keys(views).forEach(function (id) {
      var chart = byId[id];
      var filterable = chart !== undefined ? chart.filterable : curves.some(function (c) { return c.id === id && c.filterable; });
      if (filterable) views[id].signal('shown', series).runAsync();
    });
    document.querySelectorAll('[data-experiment]').forEach(function (element) {
      element.hidden = shown.indexOf(element.getAttribute('data-experiment')) < 0;
    });
    document.getElementById('shown-count').textContent = shown.length + ' of ' + names.length + ' shown';
  }

  function download(name, content, type) {
    var url = typeof content === 'string' && content.indexOf('data:') === 0 ? content : URL.createObjectURL(new Blob([content], { type: type }));
    var link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function csvCell(value) {
    if (value === null || value === undefined) return '';
    var text = String(value);
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function tableOf(id) {
    var curve = null;
    curves.forEach(function (c) { if (c.id === id) curve = c; });
    if (curve !== null) {
      var shown = visibleNames();
      return { columns: ['series', 'batch', 'value', 'smoothed'], rows: smoothed(curve.points).filter(function (p) { return !curve.filterable || shown.indexOf(p.series) >= 0; }).map(function (p) { return [p.series, p.x, p.raw, p.smooth]; }) };
    }
    return byId[id].table;
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-download]') : null;
    if (button === null) return;
    var id = button.getAttribute('data-chart');
    var kind = button.getAttribute('data-download');
    var base = button.getAttribute('data-file');
    if (kind === 'csv') {
      var table = tableOf(id);
      var lines = [table.columns.map(csvCell).join(',')].concat(table.rows.map(function (row) { return row.map(csvCell).join(','); }));
      download(base + '.csv', lines.join('\n') + '\n', 'text/csv');
      return;
    }
    draw(id).then(function (view) {
      if (kind === 'svg') return view.toSVG().then(function (svg) { download(base + '.svg', svg, 'image/svg+xml'); });
      return view.toImageURL('png', 2).then(function (url) { download(base + '.png', url, 'image/png'); });
    });
  });

  document.querySelectorAll('input.experiment-box').forEach(function (box) { box.addEventListener('change', applyShown); });
  document.getElementById('filter').addEventListener('input', applyShown);
  document.getElementById('show-all').addEventListener('click', function () { document.querySelectorAll('input.experiment-box').forEach(function (box) { box.checked = true; }); applyShown(); });
  document.getElementById('show-none').addEventListener('click', function () { document.querySelectorAll('input.experiment-box').forEach(function (box) { box.checked = false; }); applyShown(); });
  document.getElementById('expand-all').addEventListener('click', function () {
    var open = this.getAttribute('data-open') !== 'true';
    document.querySelectorAll('details.experiment-details').forEach(function (details) { details.open = open; });
    this.setAttribute('data-open', String(open));
    this.textContent = open ? 'Collapse all experiments' : 'Expand all experiments';
  });
  var slider = document.getElementById('smoothing');
  if (slider !== null) {
    slider.addEventListener('input', function () {
      smoothing = Number(slider.value);
      document.getElementById('smoothing-value').textContent = smoothing.toFixed(2);
      redrawCurves();
    });
    document.querySelectorAll('input[name="curve-scale"]').forEach(function (radio) {
      radio.addEventListener('change', function () { if (radio.checked) { curveScale = radio.value; replaceCurves(); } });
    });
  }

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) { observer.unobserve(entry.target); draw(entry.target.id); } });
  }, { rootMargin: '600px 0px' });
  document.querySelectorAll('.vega-chart').forEach(function (container) { observer.observe(container); });

  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      Object.keys(views).forEach(function (id) {
        var curve = null;
        curves.forEach(function (c) { if (c.id === id) curve = c; });
        var resizedSpec = curve !== null ? curve[curveScale] : byId[id].spec;
        fitWidth(views[id], document.getElementById(id), resizedSpec);
        views[id].runAsync().then(function (view) { return shrinkToFit(view, document.getElementById(id), resizedSpec); });
      });
    }, 150);
  });

  // Served live by \`vanishing report --watch\`: keep what the reader set across reloads, fetch news.
  var live = JSON.parse(document.getElementById('live').textContent);
  if (live !== null) {
    var saved = JSON.parse(sessionStorage.getItem('vanishing-live') || 'null');
    if (saved !== null) {
      document.querySelectorAll('input.experiment-box').forEach(function (box) { box.checked = saved.unchecked.indexOf(box.getAttribute('data-name')) < 0; });
      document.getElementById('filter').value = saved.filter;
      document.querySelectorAll('details.experiment-details').forEach(function (details, i) { details.open = saved.open.indexOf(i) >= 0; });
      if (slider !== null) { slider.value = String(saved.smoothing); smoothing = saved.smoothing; document.getElementById('smoothing-value').textContent = smoothing.toFixed(2); }
      window.scrollTo(0, saved.scroll);
    }
    var remember = function () {
      sessionStorage.setItem('vanishing-live', JSON.stringify({
        unchecked: names.filter(function (name) { var box = document.querySelector('input.experiment-box[data-name="' + CSS.escape(name) + '"]'); return box !== null && !box.checked; }),
        filter: document.getElementById('filter').value,
        open: Array.prototype.map.call(document.querySelectorAll('details.experiment-details'), function (details, i) { return details.open ? i : -1; }).filter(function (i) { return i >= 0; }),
        smoothing: smoothing,
        scroll: window.scrollY,
      }));
    };
    setInterval(function () {
      fetch('state.json', { cache: 'no-store' }).then(function (response) { return response.json(); }).then(function (state) {
        if (state.version !== live.version) { remember(); location.reload(); return; }
        state.curves.forEach(function (update) {
          curves.forEach(function (curve) {
            if (curve.id !== update.id) return;
            curve.points = update.points;
            if (views[curve.id] !== undefined) views[curve.id].data('points', smoothed(curve.points)).runAsync();
          });
        });
        document.getElementById('live-status').textContent = 'live: updated ' + new Date().toLocaleTimeString();
      }).catch(function () { document.getElementById('live-status').textContent = 'live: the server does not answer (run ended or stopped?)'; });
    }, live.pollMilliseconds);
  }

  updateStatus();
  applyShown();
  window.vanishing = {
    views: views,
    draw: draw,
    drawAll: function () {
      document.querySelectorAll('details.experiment-details').forEach(function (details) { details.open = true; });
      return Promise.all(charts.map(function (c) { return draw(c.id); }).concat(curves.map(function (c) { return draw(c.id); })));
    },
    shown: visibleNames,
    setSmoothing: function (value) { slider.value = String(value); slider.dispatchEvent(new Event('input')); },
    /** The experiments a drawn chart shows marks for (walks its scene graph). */
    seriesDrawn: function (id) {
      var seen = {};
      (function walk(item) {
        if (item === null || item === undefined) return;
        if (item.datum !== undefined && item.datum !== null && typeof item.datum.series === 'string' && item.mark !== undefined && item.mark.marktype !== 'group') seen[item.datum.series] = true;
        (item.items || []).forEach(walk);
      })(views[id].scenegraph().root);
      return Object.keys(seen).sort();
    },
    /** A training curve's smoothed values for one experiment, as drawn. */
    curveValues: function (id, series) {
      return views[id].data('points').filter(function (p) { return p.series === series; }).map(function (p) { return p.smooth; });
    },
    /** The main plot's x domain of a training curve (the brush narrows it). */
    xDomain: function (id) { return views[id].scale('concat_0_x').domain(); },
  };
})();
`;
