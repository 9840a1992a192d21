#!/usr/bin/python3
"""Figures of the XDP rate benchmark (xdp_rate.sh).

  xdp_rate_stats.py run S0 S1 GEN_OUT TAG PRE POST
                                            snapshots -> one result line
  xdp_rate_stats.py brief < LINE            one result line, for people
  xdp_rate_stats.py summary FILE...         medians, spread and the ratios
  xdp_rate_stats.py mem TAG < XDP_GW_OUT    xdp_gw's map memory -> one mem line
  xdp_rate_stats.py plotdata FILE...        medians per case, for bench/plot.sh

A mem line is "mem" TAG hash_bytes=B per_binding=P: the kernel's accounting
(fdinfo memlock) of the gateway's hash maps for one table size, and that
divided by the bindings (two per client).

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
  valid     yes when gen_err is 0, loss is under 1 % and hit over 99 %;
            for rsip_wan_steer (one, two, away): when every frame tunnelled reached
            the sink and no frame took another exit
  cpumap_drop  one, two, away: frames the gateway saw but did not tunnel, in %:
            dropped by the kernel at a full cpumap queue (the generator is
            open loop; a NIC would drop them at its ring)
  hop_lost  one, two, away: wan_steered - wan_steer_arrived, the same loss as
            the programs count it (frames)
"""
import re
import statistics
import sys

EXPECTED = {'esp': 'wan_tx_esp', 'ike': 'wan_tx_ike', 'udp': 'wan_tx_port'}
# Events of the steering first stage (dp_abi.h), not exits.
STEER_EVENTS = ('rsip.wan_steered', 'rsip.wan_steer_arrived')


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

    def queues(fmt):
        """The keys of every queue of one per-queue counter (the sink and
        the LAN veth have a queue per CPU)."""
        return [fmt % q for q in range(1024) if fmt % q in post]

    snk = sum(rate(k) for k in queues('snk.rx_queue_%d_xdp_packets'))
    gw = rate('wan.rx_queue_0_xdp_packets')
    gen_ok = rate('gen.tx_queue_0_xdp_xmit')
    gen_err = total('gen.tx_queue_0_xdp_xmit_errors')
    lan_err = sum(total(k) for k in queues('lan.tx_queue_%d_xdp_xmit_errors'))
    gw_all = total('wan.rx_queue_0_xdp_packets')
    snk_all = sum(total(k) for k in queues('snk.rx_queue_%d_xdp_packets'))

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
    if tags.get('prog') in ('rsip', 'pre', 'one', 'two', 'away'):
        want = EXPECTED.get(tags.get('kind'), '')
        tx = total('rsip.' + want)
        if tags.get('prog') in ('one', 'two', 'away'):
            # Steered frames wait in a cpumap queue; an open-loop generator
            # fills it faster than the other CPU empties it, and the kernel
            # drops the excess at the enqueue (as a NIC ring would): valid
            # when every frame the gateway tunnelled reached the sink and
            # every frame it saw was tunnelled or dropped there.
            cpumap_drop = 100 * (gw_all - tx) / gw_all if gw_all else 0.0
            out.append('cpumap_drop=%.2f' % cpumap_drop)
            # The same loss as the programs count it (steered, not arrived).
            out.append('hop_lost=%d' % (total('rsip.wan_steered') -
                                        total('rsip.wan_steer_arrived')))
            other_exits = sum(total(k) for k in post if k.startswith('rsip.wan_') and
                              k != 'rsip.' + want and k not in STEER_EVENTS)
            valid = (gen_err == 0 and lan_err == 0 and snk > 0 and other_exits == 0 and
                     abs(tx - snk_all) <= 0.01 * max(snk_all, 1))
            hit = 100 * tx / gw_all if gw_all else 0.0
        else:
            hit = 100 * tx / gw_all if gw_all else 0.0
            valid = valid and hit > 99
        out.append('hit=%.2f' % hit)
        other = ['%s:%d' % (k[5:], total(k)) for k in sorted(post)
                 if k.startswith('rsip.') and k != 'rsip.' + want and k not in STEER_EVENTS
                 and total(k) > 0]
        if other:
            out.append('other=' + ','.join(other))
    try:
        mine = (int(b['gen_rt']) - int(a['gen_rt'])) / 1e9 / dt
    except (KeyError, ValueError):
        mine = float('nan')
    out.append('mine=%.1f' % (100 * mine))
    # CPU time per delivered frame: in the generator's context (generator,
    # and the gateway and sink work done inline there) and in each cpumap
    # kthread (steered frames: the gateway and the sink on that CPU).
    if snk:
        out.append('gen_ns=%.1f' % (mine * 1e9 / snk))
        for k in sorted(b):
            if k.startswith('kt') and k in a:
                out.append('%s_ns=%.1f' % (k, (int(b[k]) - int(a[k])) / dt / snk))
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


MEM_RE = re.compile(r'map memory.*: hash maps ([0-9.]+) MiB, ([0-9]+) bytes per binding')


def mem(tag):
    """The memory line of xdp_gw rsip's output (stdin) as a mem line."""
    for line in sys.stdin:
        m = MEM_RE.search(line)
        if m:
            print('mem %s hash_bytes=%d per_binding=%s' % (
                tag, round(float(m.group(1)) * 1048576), m.group(2)))
            return 0
    print('xdp_rate_stats: no map memory line in xdp_gw output', file=sys.stderr)
    return 1


def load(files):
    """Result lines and mem lines of the raw files."""
    runs, mems = [], []
    for p in files:
        with open(p) as f:
            for l in f:
                if l.startswith('mem '):
                    mems.append(parse_line(l))
                elif 'prog=' in l:
                    runs.append(parse_line(l))
    return runs, mems


def plotdata(files):
    """One row per clients:flows and path: the median Mpps and softirq
    ns/pkt of each program ('-' where it did not run)."""
    runs, _ = load(files)
    cells = {}
    for r in runs:
        key = (int(r['clients']), int(r['flows']), r['kind'])
        cells.setdefault(key, {}).setdefault(r['prog'], []).append(r)
    progs = ['rsip', 'ref', 'lkp', 'pre']
    print('# clients flows kind ' + ' '.join('%s_mpps %s_ns' % (p, p) for p in progs))
    for key in sorted(cells):
        row = ['%d' % key[0], '%d' % key[1], key[2]]
        for p in progs:
            rr = cells[key].get(p)
            row += (['%.3f' % statistics.median(float(r['mpps']) for r in rr),
                     '%.1f' % statistics.median(float(r['sirq_ns']) for r in rr)]
                    if rr else ['-', '-'])
        print(' '.join(row))


def reference_variants(runs):
    """The reference programs' variants, each against the one it differs
    from by one thing, per repetition (softirq ns/pkt): ref_encap through a
    DEVMAP_HASH (refh) against ref_encap (ref); ref_lookup with a 12-byte
    (l12) against an 8-byte key (lkp), and a 16-byte (l16, rsip_ike's
    length) against a 12-byte one."""
    pairs = (('refh', 'ref'), ('l12', 'lkp'), ('l16', 'l12'))
    cells = {}
    for r in runs:
        key = (int(r['clients']), int(r['flows']), r['kind'])
        cells.setdefault(key, {}).setdefault(r['rep'], {})[r['prog']] = r
    if not any(r['prog'] in ('refh', 'l12', 'l16') for r in runs):
        return
    print()
    print('| clients | flows | path | ' + ' | '.join(
        '%s minus %s per rep (median)' % p for p in pairs) + ' | ' + ' | '.join(
        '%s ns' % p for p in ('ref', 'refh', 'lkp', 'l12', 'l16')) + ' |')
    print('|' + '---|' * (3 + len(pairs) + 5))
    for key in sorted(cells):
        reps = cells[key]

        def med(prog):
            v = [float(p[prog]['sirq_ns']) for p in reps.values() if prog in p]
            return '%.1f' % statistics.median(v) if v else '-'

        def diff(a, b):
            v = [float(p[a]['sirq_ns']) - float(p[b]['sirq_ns'])
                 for p in reps.values() if a in p and b in p]
            return ('%s (%+.1f)' % (', '.join('%+.1f' % x for x in v), statistics.median(v))
                    if v else '-')

        print('| %d | %d | %s | %s | %s |' % (
            key[0], key[1], key[2], ' | '.join(diff(a, b) for a, b in pairs),
            ' | '.join(med(p) for p in ('ref', 'refh', 'lkp', 'l12', 'l16'))))


def summary(files):
    runs, mems = load(files)
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
    steering(runs)
    reference_variants(runs)
    if mems:
        print()
        print('| clients | program | hash maps MiB (memlock) | bytes per binding |')
        print('|---|---|---|---|')
        for m in sorted(mems, key=lambda m: (int(m['clients']), m['prog'])):
            print('| %s | %s | %.1f | %s |' % (
                m['clients'], 'rsip_wan, preallocated' if m['prog'] == 'pre' else 'rsip_wan',
                int(m['hash_bytes']) / 1048576, m['per_binding']))
        print('Map memory: fdinfo memlock of the hash maps after loading the table, two'
              ' bindings per client.')


def steering(runs):
    """rsip_wan_steer (--spi-steer): every SPI on the generator's CPU ("one")
    against the SPIs dealt over every CPU ("two"), and "one" against plain
    rsip_wan: medians of per-repetition ratios."""
    if not any(r['prog'] == 'two' for r in runs):
        return
    cells = {}
    for r in runs:
        key = (int(r['clients']), int(r['flows']), r['kind'])
        cells.setdefault(key, {}).setdefault(r['rep'], {})[r['prog']] = r
    print()
    print('| clients | flows | path | rsip_wan Mpps | steer, 1 CPU Mpps | steer, all CPUs Mpps'
          ' | all CPUs / 1 CPU | 1 CPU / rsip_wan | other CPU Mpps | other CPU / 1 CPU'
          ' | cpumap drop % (two) | n | invalid | other CPU busy % (two) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for key in sorted(cells):
        reps = cells[key]
        pp = [p for p in reps.values() if 'one' in p and 'two' in p]
        if not pp:
            continue

        def med(prog):
            v = [float(p[prog]['mpps']) for p in reps.values() if prog in p]
            return '%.2f' % statistics.median(v) if v else '-'

        def ratio(num, den):
            v = [float(p[num]['mpps']) / float(p[den]['mpps'])
                 for p in reps.values() if num in p and den in p and float(p[den]['mpps'])]
            return '%.3f' % statistics.median(v) if v else '-'

        allr = [r for p in reps.values() for k, r in p.items() if k in ('one', 'two', 'away')]
        print('| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %d | %d | %.0f |' % (
            key[0], key[1], key[2], med('rsip'), med('one'), med('two'), ratio('two', 'one'),
            ratio('one', 'rsip'), med('away'), ratio('away', 'one'),
            statistics.median(float(p['two'].get('cpumap_drop', 0)) for p in pp), len(pp),
            sum(1 for r in allr if r.get('valid') != 'yes'),
            statistics.median(float(p['two'].get('foreign', 0)) for p in pp)))
    print('Steering (issue 11 item 3, target all CPUs / 1 CPU >= 1.7 with 2 CPUs): the'
          ' generator shares the measured CPU with the gateway, so "all CPUs" gives the'
          ' gateway one CPU and a half at most; other jobs on the machine take their share.')


def main():
    if len(sys.argv) == 8 and sys.argv[1] == 'run':
        run(*sys.argv[2:8])
    elif len(sys.argv) == 2 and sys.argv[1] == 'brief':
        brief()
    elif len(sys.argv) >= 3 and sys.argv[1] == 'summary':
        summary(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == 'mem':
        return mem(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == 'plotdata':
        plotdata(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
