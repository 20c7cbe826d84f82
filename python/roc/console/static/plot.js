// A small time-series plot on a <canvas>: axes, "nice" value and time ticks, and a min/max envelope.
// Hand-written so the console ships with everything it needs and works offline (no plotting library).
// Points are bucketed per pixel column: a column holding several points draws the band from their
// minimum to their maximum, so downsampled data (the archive's min and max per bucket) and a dense
// live tail both show their real spread instead of a misleading single line.
(function () {
  'use strict';

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
    43200, 86400, 172800, 604800];

  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const residual = raw / magnitude;
    const nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
    return nice * magnitude;
  }

  function valueTicks(lo, hi, count) {
    const step = niceStep(hi - lo, count);
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
    return { ticks, step };
  }

  function formatValue(v, step) {
    const digits = Math.max(0, Math.min(10, -Math.floor(Math.log10(step))));
    if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-4 && v !== 0)) return v.toExponential(2);
    return v.toFixed(step >= 1 ? 0 : digits);
  }

  function pad(n) { return n < 10 ? '0' + n : '' + n; }

  function formatTime(t, step) {
    const d = new Date(t * 1000);
    const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    if (step >= 86400) return (d.getMonth() + 1) + '/' + d.getDate();
    if (step < 60) return hm + ':' + pad(d.getSeconds());
    if (d.getHours() === 0 && d.getMinutes() === 0) return (d.getMonth() + 1) + '/' + d.getDate();
    return hm;
  }

  function timeTicks(t0, t1, count) {
    const raw = (t1 - t0) / Math.max(1, count);
    const step = TIME_STEPS.find((s) => s >= raw) || TIME_STEPS[TIME_STEPS.length - 1];
    // Align to local midnight-based multiples, so ticks fall on 10:00, 10:15 ...
    const offset = new Date(t0 * 1000).getTimezoneOffset() * 60;
    const ticks = [];
    for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) ticks.push(t);
    return { ticks, step };
  }

  // draw(canvas, points [[t, v], ...] ascending, {t0, t1, label}) → {ms, points, columns}
  function draw(canvas, points, options) {
    const started = performance.now();
    options = options || {};
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth || canvas.width;
    const cssHeight = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(cssWidth * ratio) || canvas.height !== Math.round(cssHeight * ratio)) {
      canvas.width = Math.round(cssWidth * ratio);
      canvas.height = Math.round(cssHeight * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const style = getComputedStyle(canvas);
    const fg = style.color || '#222';
    const accent = style.getPropertyValue('--plot-line').trim() || '#1f6feb';
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    ctx.font = '11px sans-serif';

    const left = 64, right = 12, top = 10, bottom = 24;
    const width = Math.max(10, cssWidth - left - right);
    const height = Math.max(10, cssHeight - top - bottom);
    const t1 = options.t1 !== undefined ? options.t1 : (points.length ? points[points.length - 1][0] : Date.now() / 1000);
    const t0 = options.t0 !== undefined ? options.t0 : (points.length ? points[0][0] : t1 - 60);

    let lo = Infinity, hi = -Infinity;
    for (const p of points) {
      if (p[0] < t0 || p[0] > t1) continue;
      if (p[1] < lo) lo = p[1];
      if (p[1] > hi) hi = p[1];
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) { lo -= 0.5; hi += 0.5; }
    const margin = (hi - lo) * 0.05;
    lo -= margin; hi += margin;
    const x = (t) => left + (t - t0) / (t1 - t0) * width;
    const y = (v) => top + (hi - v) / (hi - lo) * height;

    // Grid and ticks.
    ctx.strokeStyle = 'rgba(128,128,128,0.25)';
    ctx.fillStyle = fg;
    ctx.lineWidth = 1;
    const vt = valueTicks(lo, hi, Math.max(2, Math.floor(height / 40)));
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    for (const v of vt.ticks) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, yy); ctx.lineTo(left + width, yy); ctx.stroke();
      ctx.fillText(formatValue(v, vt.step), left - 6, yy);
    }
    const tt = timeTicks(t0, t1, Math.max(2, Math.floor(width / 90)));
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    for (const t of tt.ticks) {
      const xx = Math.round(x(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(xx, top); ctx.lineTo(xx, top + height); ctx.stroke();
      ctx.fillText(formatTime(t, tt.step), xx, top + height + 6);
    }
    ctx.strokeStyle = fg;
    ctx.strokeRect(left + 0.5, top + 0.5, width, height);

    // Points, one column per CSS pixel: min, max, first and last of the column.
    const columns = new Map();
    const order = [];
    for (const p of points) {
      if (p[0] < t0 || p[0] > t1) continue;
      const c = Math.floor(x(p[0]));
      let col = columns.get(c);
      if (!col) {
        col = { c, min: p[1], max: p[1], last: p[1], n: 0 };
        columns.set(c, col); order.push(col);
      }
      if (p[1] < col.min) col.min = p[1];
      if (p[1] > col.max) col.max = p[1];
      col.last = p[1]; col.n++;
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, width, height); ctx.clip();
    // Envelope: min..max band wherever a column holds more than one point.
    ctx.fillStyle = accent; ctx.globalAlpha = 0.25;
    for (const col of order) {
      if (col.n > 1 && col.max > col.min) {
        const ya = y(col.max), yb = y(col.min);
        ctx.fillRect(col.c, ya, 1, Math.max(1, yb - ya));
      }
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = accent; ctx.lineWidth = 1.5;
    ctx.beginPath();
    order.forEach((col, i) => {
      const yy = y(col.n > 1 ? (col.min + col.max) / 2 : col.last);
      if (i === 0) ctx.moveTo(col.c, yy); else ctx.lineTo(col.c, yy);
    });
    ctx.stroke();
    if (order.length === 1) {
      ctx.fillStyle = accent;
      ctx.beginPath(); ctx.arc(order[0].c, y(order[0].last), 3, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.restore();
    if (options.label) {
      ctx.textAlign = 'left'; ctx.textBaseline = 'top'; ctx.fillStyle = fg;
      ctx.fillText(options.label, left + 6, top + 4);
    }
    if (!order.length) {
      ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.fillStyle = fg;
      ctx.fillText('no data in this range', left + width / 2, top + height / 2);
    }
    return { ms: performance.now() - started, points: points.length, columns: order.length };
  }

  window.RocPlot = { draw, niceStep, timeTicks };
})();
