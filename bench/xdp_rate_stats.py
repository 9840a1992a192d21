#!/usr/bin/python3
"""Figures of the XDP rate benchmark (xdp_rate.sh).

  xdp_rate_stats.py run S0 S1 GEN_OUT TAG PRE POST
                                            snapshots -> one result line
  xdp_rate_stats.py brief < LINE            one result line, for people
  xdp_rate_stats.py summary FILE...         medians, spread and the ratios

A result line is TAG followed by key=value fields:
  mpps      frames the sink received, Mpps (what the gateway finished)
  sirq_ns   softirq time of the measured CPU per such frame: gateway + sink
  cpu_ns    all busy time of that CPU per frame: generator + gateway + sink
  gen_mpps  frames the generator queued; gen_err: refused in the whole run
  loss      frames the gateway's XDP saw that the sink did not, in % of the
            whole run (PRE and POST are read with no traffic in flight, so
            this is exact; the window's counters are read a few ms apart)
  hit       rsip_wan only (rsip, pre): % of the gateway's frames of the whole run counted
            on the path's own exit counter (wan_tx_esp / wan_tx_ike /
            wan_tx_port)
  mine      the generator's share of the measured CPU (with the gateway and
            sink softirq work that runs in its context), %
  other_cpu the measured CPU's busy time that was not the generator's, %:
            other jobs competing for it (then Mpps drops; ns/pkt holds better)
  usr       user time on the measured CPU, %
  foreign   the busiest other CPU, % (other jobs on this machine)
  valid     yes when gen_err is 0, loss is under 1 % and hit over 99 %
"""
import statistics
import sys

EXPECTED = {'esp': 'wan_tx_esp', 'ike': 'wan_tx_ike', 'udp': 'wan_tx_port'}


def load_snap(path):
    d = {}
    with open(path) as f:
        for line in f:
            if '=' in line:
                k, v = line.strip().split('=', 1)
                d[k] = v
    return d


def parse_line(line):
    d = {}
    for tok in line.split():
        if '=' in tok:
            k, v = tok.split('=', 1)
            d[k] = v
    return d


def cpu_fields(s, cpu):
    # user nice system idle iowait irq softirq steal (USER_HZ ticks)
    return [int(x) for x in s['cpu%d' % cpu].split(',')]


def run(s0p, s1p, genp, tag, prep, postp):
    a, b = load_snap(s0p), load_snap(s1p)
    pre, post = load_snap(prep), load_snap(postp)
    tags = parse_line(tag)
    cpu = int(tags.get('cpu', '1'))
    dt = ((float(b['t']) + float(b['t2'])) - (float(a['t']) + float(a['t2']))) / 2

    def delta(x, y, k):
        try:
            return int(y.get(k, 0)) - int(x.get(k, 0))
        except ValueError:
            return 0

    def rate(k):
        return delta(a, b, k) / dt

    def total(k):
        return delta(pre, post, k)

    snk = rate('snk.rx_queue_0_xdp_packets')
    gw = rate('wan.rx_queue_0_xdp_packets')
    gen_ok = rate('gen.tx_queue_0_xdp_xmit')
    gen_err = total('gen.tx_queue_0_xdp_xmit_errors')
    lan_err = total('lan.tx_queue_0_xdp_xmit_errors')
    gw_all = total('wan.rx_queue_0_xdp_packets')
    snk_all = total('snk.rx_queue_0_xdp_packets')

    x, y = cpu_fields(a, cpu), cpu_fields(b, cpu)
    d = [j - i for i, j in zip(x, y)]
    tot = sum(d) or 1
    busy = (tot - d[3] - d[4]) / tot
    sirq = (d[5] + d[6]) / tot
    usr = (d[0] + d[1]) / tot
    foreign = 0.0
    ncpu = 0
    while 'cpu%d' % ncpu in a:
        if ncpu != cpu:
            x, y = cpu_fields(a, ncpu), cpu_fields(b, ncpu)
            e = [j - i for i, j in zip(x, y)]
            t = sum(e) or 1
            foreign = max(foreign, (t - e[3] - e[4]) / t)
        ncpu += 1

    out = [tag, 'secs=%.2f' % dt]
    out.append('mpps=%.3f' % (snk / 1e6))
    out.append('sirq_ns=%.1f' % (sirq * 1e9 / snk if snk else float('nan')))
    out.append('cpu_ns=%.1f' % (busy * 1e9 / snk if snk else float('nan')))
    out.append('gw_mpps=%.3f' % (gw / 1e6))
    out.append('gen_mpps=%.3f' % ((gen_ok + gen_err) / 1e6))
    out.append('gen_err=%d' % gen_err)
    out.append('lan_err=%d' % lan_err)
    loss = 100 * (gw_all - snk_all) / gw_all if gw_all else 100.0
    out.append('loss=%.2f' % loss)
    valid = gen_err == 0 and lan_err == 0 and abs(loss) < 1 and snk > 0
    if tags.get('prog') in ('rsip', 'pre'):
        want = EXPECTED.get(tags.get('kind'), '')
        hit = 100 * total('rsip.' + want) / gw_all if gw_all else 0.0
        out.append('hit=%.2f' % hit)
        valid = valid and hit > 99
        other = ['%s:%d' % (k[5:], total(k)) for k in sorted(post)
                 if k.startswith('rsip.') and k != 'rsip.' + want and total(k) > 0]
        if other:
            out.append('other=' + ','.join(other))
    try:
        mine = (int(b['gen_rt']) - int(a['gen_rt'])) / 1e9 / dt
    except (KeyError, ValueError):
        mine = float('nan')
    out.append('mine=%.1f' % (100 * mine))
    out.append('other_cpu=%.1f' % (100 * max(0.0, busy - mine)))
    out.append('usr=%.1f' % (100 * usr))
    out.append('busy=%.1f' % (100 * busy))
    out.append('foreign=%.1f' % (100 * foreign))
    out.append('valid=%s' % ('yes' if valid else 'no'))
    with open(genp) as f:
        out.append('gen=[%s]' % ' | '.join(l.strip() for l in f if l.strip()).replace(' ', '_'))
    print(' '.join(out))


def brief():
    for line in sys.stdin:
        d = parse_line(line)
        print('  clients=%-7s %-4s %-5s rep %s: %6s Mpps  sirq %6s ns/pkt  cpu %6s ns/pkt'
              '  %s%s%s' % (
                  d.get('clients'), d.get('kind'), d.get('prog'), d.get('rep'),
                  d.get('mpps'), d.get('sirq_ns'), d.get('cpu_ns'),
                  'valid' if d.get('valid') == 'yes' else 'INVALID',
                  ''.join(' %s %s%%' % (k, d[k]) for k in ('other_cpu', 'foreign')
                          if float(d.get(k, 0)) > 10),
                  ' other ' + d['other'] if 'other' in d else ''))


def summary(files):
    runs = []
    for p in files:
        with open(p) as f:
            runs += [parse_line(l) for l in f if 'prog=' in l]
    cells = {}
    for r in runs:
        key = (int(r['clients']), int(r['flows']), r['kind'])
        cells.setdefault(key, {}).setdefault(r['prog'], []).append(r)
    has_lkp = any(r['prog'] == 'lkp' for r in runs)
    has_pre = any(r['prog'] == 'pre' for r in runs)
    hdr = ['clients', 'flows', 'path', 'rsip_wan Mpps (min-max)', 'ref_encap Mpps (min-max)',
           'Mpps ratio', 'Mpps ratio, CPU alone (n)', 'rsip_wan sirq ns/pkt',
           'ref_encap sirq ns/pkt', 'ns ratio', 'ns extra']
    if has_lkp:
        hdr += ['ref_lookup Mpps', 'ref_lookup sirq ns/pkt', 'Mpps ratio vs lookup',
                'ns extra vs lookup']
    if has_pre:
        hdr += ['prealloc Mpps', 'prealloc sirq ns/pkt', 'Mpps ratio prealloc / rsip_wan',
                'ns prealloc minus rsip_wan']
    hdr += ['n', 'invalid', 'other on CPU max %', 'foreign max %']
    print('| ' + ' | '.join(hdr) + ' |')
    print('|' + '---|' * len(hdr))
    order = {k: i for i, k in enumerate(['esp', 'ike', 'udp'])}

    def med(rr, k):
        return statistics.median(float(r[k]) for r in rr)

    def span(rr, k):
        v = [float(r[k]) for r in rr]
        return '%.2f (%.2f-%.2f)' % (statistics.median(v), min(v), max(v))

    def alone(p, progs):
        return max(float(p[k].get('other_cpu', 0)) for k in progs) <= 10

    for key in sorted(cells, key=lambda k: (k[0], k[1], order.get(k[2], 9))):
        c = cells[key]
        rs, rf, rl = c.get('rsip', []), c.get('ref', []), c.get('lkp', [])
        rp = c.get('pre', [])
        if not rs or not rf:
            continue
        # Ratios per repetition (the programs ran back to back), then their
        # median: slow drifts of the machine cancel out.
        by_rep = {}
        for r in rs + rf + rl + rp:
            by_rep.setdefault(r['rep'], {})[r['prog']] = r
        pairs = [p for p in by_rep.values() if 'rsip' in p and 'ref' in p]
        mr = statistics.median(float(p['rsip']['mpps']) / float(p['ref']['mpps'])
                               for p in pairs)
        nr = statistics.median(float(p['rsip']['sirq_ns']) / float(p['ref']['sirq_ns'])
                               for p in pairs)
        extra = statistics.median(float(p['rsip']['sirq_ns']) - float(p['ref']['sirq_ns'])
                                  for p in pairs)
        # Mpps only means something when the generator had the CPU to itself.
        clean = [p for p in pairs if alone(p, ('rsip', 'ref'))]
        cr = ('%.3f (%d)' % (statistics.median(
            float(p['rsip']['mpps']) / float(p['ref']['mpps']) for p in clean), len(clean))
            if clean else '-')
        row = [str(key[0]), str(key[1]), key[2], span(rs, 'mpps'), span(rf, 'mpps'),
               '%.3f' % mr, cr, '%.1f' % med(rs, 'sirq_ns'), '%.1f' % med(rf, 'sirq_ns'),
               '%.3f' % nr, '%+.1f' % extra]
        def versus(num, den, rows):
            """The other program's medians, then num against den per
            repetition: Mpps ratio and ns/pkt difference."""
            pp = [p for p in by_rep.values() if num in p and den in p]
            if not pp:
                return ['-'] * 4
            return ['%.2f' % med(rows, 'mpps'), '%.1f' % med(rows, 'sirq_ns'),
                    '%.3f' % statistics.median(float(p[num]['mpps']) /
                                               float(p[den]['mpps']) for p in pp),
                    '%+.1f' % statistics.median(float(p[num]['sirq_ns']) -
                                                float(p[den]['sirq_ns']) for p in pp)]

        if has_lkp:
            row += versus('rsip', 'lkp', rl)
        if has_pre:
            row += versus('pre', 'rsip', rp)
        allr = rs + rf + rl + rp
        row += [str(len(pairs)), str(sum(1 for r in allr if r.get('valid') != 'yes')),
                '%.0f' % max(float(r.get('other_cpu', 0)) for r in allr),
                '%.0f' % max(float(r.get('foreign', 0)) for r in allr)]
        print('| ' + ' | '.join(row) + ' |')
    bad = [r for r in runs if r.get('valid') != 'yes']
    print()
    print('%d runs, %d invalid%s' % (len(runs), len(bad), ''.join(
        '\n  invalid: %s %s clients=%s flows=%s rep=%s gen_err=%s loss=%s hit=%s' % (
            r.get('prog'), r.get('kind'), r.get('clients'), r.get('flows'), r.get('rep'),
            r.get('gen_err'), r.get('loss'), r.get('hit', '-')) for r in bad)))
    print('Runs where another job held more than 10 %% of the measured CPU: %d of %d (their'
          ' Mpps is low; ns/pkt holds better).' % (
              sum(1 for r in runs if float(r.get('other_cpu', 0)) > 10), len(runs)))
    print('Mpps ratio = rsip_wan / ref_encap (target >= 0.90); ns ratio = rsip_wan / ref_encap'
          ' softirq ns/pkt (both include the sink\'s XDP_DROP); ns extra = rsip_wan minus'
          ' ref_encap, ns/pkt; "vs lookup": against ref_lookup (ref_encap after one hash'
          ' lookup); "prealloc": rsip_wan on the same tables with preallocated hash maps;'
          ' medians of per-repetition pairs.')


def main():
    if len(sys.argv) == 8 and sys.argv[1] == 'run':
        run(*sys.argv[2:8])
    elif len(sys.argv) == 2 and sys.argv[1] == 'brief':
        brief()
    elif len(sys.argv) >= 3 and sys.argv[1] == 'summary':
        summary(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
