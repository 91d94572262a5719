import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Box, Text, useApp, useInput, type Key } from 'ink';
import type { DeviceStatus, FleetHandle } from '@vfleet/simulator';
import type { FleetStore } from './store/fleet-store.js';
import { filterDevices, sortDevices, SORT_KEYS, type SortSpec } from './store/sort-filter.js';
import { parsePhaseValue, type ArtifactChoice, type ReleaseRow, type ReleasesApi } from './releases-api.js';
import { nextStepReady, type DemoScript } from './demo-script.js';
import { useFleet } from './hooks/use-fleet.js';
import { useTerminalSize, type TerminalSize } from './hooks/use-terminal-size.js';
import { useDeviceLogs } from './hooks/use-device-logs.js';
import { usePoll } from './hooks/use-poll.js';
import { useIgnoreUnnamedKeys } from './hooks/use-unnamed-keys.js';
import { useScrollAnchor } from './hooks/use-scroll-anchor.js';
import { FleetTable } from './views/FleetTable.js';
import { SummaryView } from './views/SummaryView.js';
import { DeviceView, DEVICE_SECTIONS, type DeviceDetails, type DeviceSection } from './views/DeviceView.js';
import { ReleasesView } from './views/ReleasesView.js';
import { EventsView } from './views/EventsView.js';
import { HelpOverlay } from './views/HelpOverlay.js';
import { Footer, Header, Narration, VIEWS, type TopView } from './views/Chrome.js';
import { parseCount, parsePort, parseSemver, parseTags } from './prompts.js';
import { installFastOutput } from './ink-output.js';
import { cell } from './format.js';

// every way of showing the dashboard renders App: its frames take ink-output's fast path from the first one
await installFastOutput();

/** Download faults the embedded backend can inject into every hosted binary. */
export interface BinaryFaultSpec {
  status?: number;
  truncateAt?: number;
  corrupt?: boolean;
}

export interface FaultInjector {
  /** Sets (or, with undefined, clears) a fault on every binary; resolves with what was done. */
  binaries(fault: BinaryFaultSpec | undefined): Promise<string>;
}

export interface AppProps {
  fleet: FleetHandle;
  store: FleetStore;
  releases?: ReleasesApi | undefined;
  inspect?: ((id: string) => Promise<DeviceDetails>) | undefined;
  faults?: FaultInjector | undefined;
  /** Runs an interactive shell on the device (the runner lends it the terminal). */
  shell?: ((id: string) => Promise<string>) | undefined;
  tunnel?: ((id: string, port: number) => Promise<string>) | undefined;
  demo?: DemoScript | undefined;
  title?: string;
  refreshMs?: number;
  /** Quitting also stops the fleet (it runs in this process): ask first. */
  ownsFleet?: boolean;
  /** Fixed size (tests, benches); otherwise the terminal's, following resizes. */
  size?: TerminalSize;
  onQuit?: () => void;
  now?: () => number;
  /** A first line for the status bar (e.g. how a shell session ended). */
  initialStatus?: string;
}

type Tone = 'info' | 'error' | 'ask';
type MenuItem = { key: string; label: string; run: () => void };
type Mode =
  | { kind: 'normal' }
  | { kind: 'help' }
  | { kind: 'filter' }
  | { kind: 'prompt'; label: string; value: string; error?: string; accept: (value: string) => string | undefined }
  | { kind: 'confirm'; question: string; yes: () => void }
  | { kind: 'menu'; title: string; items: MenuItem[] };
type View = TopView | 'device';

const describe = (ids: string[]) => (ids.length === 1 ? (ids[0] as string) : `${ids.length} devices`);
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
/** Text a prompt takes: no control characters (escape sequences of unknown keys included). */
const printable = (input: string) => [...input].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);

/** The dashboard: views, key handling and the actions they trigger. No key handler awaits fleet work. */
export function App(props: AppProps) {
  const { fleet, store } = props;
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const snapshot = useFleet(store);
  const now = (props.now ?? Date.now)();
  const [view, setView] = useState<View>('fleet');
  const [mode, setMode] = useState<Mode>({ kind: 'normal' });
  const [status, setStatusState] = useState<{ text: string; tone: Tone }>({ text: props.initialStatus ?? '', tone: 'info' });
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortSpec>({ key: 'id', desc: false });
  const [cursor, setCursor] = useState<{ id?: string | undefined; index: number }>({ index: 0 });
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const [deviceId, setDeviceId] = useState<string | undefined>();
  const [section, setSection] = useState<DeviceSection>('logs');
  const [scroll, setScroll] = useState(0);
  const [eventScroll, setEventScroll] = useState(0);
  const [relCursor, setRelCursor] = useState(0);
  const [demo, setDemo] = useState<{ index: number; running: boolean; note: string }>({ index: -1, running: false, note: '' });
  const top = useRef(0);
  const mounted = useRef(true);
  useEffect(() => () => {
    mounted.current = false;
  }, []);
  const setStatus = (text: string, tone: Tone = 'info') => {
    if (mounted.current) setStatusState({ text, tone });
  };

  const rows = useMemo(() => sortDevices(filterDevices(snapshot.devices, filter), sort), [snapshot.devices, filter, sort]);
  // the row the cursor was drawn on: a selected device that goes (removed, filtered out) leaves the cursor there
  const drawnAt = useRef(0);
  let index = cursor.id !== undefined ? rows.findIndex((d) => d.id === cursor.id) : -1;
  if (index < 0) index = clamp(cursor.id !== undefined ? drawnAt.current : cursor.index, 0, Math.max(0, rows.length - 1));
  drawnAt.current = index;
  const current: DeviceStatus | undefined = rows[index];
  // the device under the cursor is the selection from then on, not one that comes back later
  useEffect(() => {
    if (current && current.id !== cursor.id) setCursor({ id: current.id, index });
  }, [current, cursor.id, index]);
  // marks of devices no longer in the fleet are dropped: actions went to them and the count included them
  const present = useMemo(() => {
    if (marked.size === 0) return marked;
    let n = 0;
    for (const d of snapshot.devices) if (marked.has(d.id)) n++;
    if (n === marked.size) return marked;
    return new Set(snapshot.devices.filter((d) => marked.has(d.id)).map((d) => d.id));
  }, [marked, snapshot.devices]);
  useEffect(() => {
    if (present !== marked) setMarked(present);
  }, [present, marked]);

  const bannerLines = snapshot.banner ? 1 : 0;
  // below 10 rows the narration goes: it pushed the header and the question being asked off the screen
  const narrationLines = props.demo && size.rows >= 10 ? 2 : 0;
  const bodyHeight = Math.max(3, size.rows - 1 - narrationLines - bannerLines - 2);
  const visible = Math.max(1, bodyHeight - 2);
  if (index < top.current) top.current = index;
  if (index >= top.current + visible) top.current = index - visible + 1;
  top.current = clamp(top.current, 0, Math.max(0, rows.length - visible));

  const releasesList = useMemo(() => (props.releases ? () => (props.releases as ReleasesApi).list() : undefined), [props.releases]);
  const releases = usePoll<ReleaseRow[]>(releasesList, 2000, view === 'releases');
  const relRows = releases.value ?? [];
  const selectedRelease = relRows[clamp(relCursor, 0, Math.max(0, relRows.length - 1))];
  const inspectLoad = useMemo(
    () => (props.inspect && deviceId !== undefined ? () => (props.inspect as (id: string) => Promise<DeviceDetails>)(deviceId) : undefined),
    [props.inspect, deviceId],
  );
  const details = usePoll<DeviceDetails>(inspectLoad, 3000, view === 'device' && (section === 'env' || section === 'disk'));
  const logs = useDeviceLogs(fleet, store, view === 'device' ? deviceId : undefined);
  // scrolled up, the log view and the feed stay on what is being read as lines arrive
  useScrollAnchor(logs.appended, view === 'device' && section === 'logs', logs.lines.length - 1, setScroll);
  useScrollAnchor(snapshot.appended, view === 'events', snapshot.events.length - 1, setEventScroll);

  // --- demo narration -------------------------------------------------------------------------
  const script = props.demo;
  // the auto timer and the n key both start steps: the ref sees the latest state, so a step runs once
  const demoNow = useRef(demo);
  demoNow.current = demo;
  const runStep = (i: number) => {
    const step = script?.steps[i];
    if (!step || demoNow.current.running || demoNow.current.index >= i) return;
    demoNow.current = { index: i, running: true, note: 'running…' };
    setDemo(demoNow.current);
    step.run().then(
      (note) => mounted.current && setDemo({ index: i, running: false, note }),
      (e: unknown) => mounted.current && setDemo({ index: i, running: false, note: `failed: ${errText(e)}` }),
    );
  };
  const autoTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!script?.auto || demo.running || autoTimer.current) return;
    const next = demo.index + 1;
    if (next >= script.steps.length) return;
    if (!nextStepReady(script, demo.index, snapshot)) return;
    autoTimer.current = setTimeout(() => {
      autoTimer.current = undefined;
      runStep(next);
    }, script.pauseMs ?? 2000);
  });
  useEffect(() => () => clearTimeout(autoTimer.current), []);

  // --- actions ---------------------------------------------------------------------------------
  const selection = (): string[] => {
    if (view === 'device') return deviceId !== undefined ? [deviceId] : [];
    if (present.size > 0) return [...present];
    return current ? [current.id] : [];
  };
  const fleetAction = (verb: string, ids: string[], call: (sel: { ids: string[] }) => Promise<void>, after?: () => void) => {
    if (ids.length === 0) return setStatus(`${verb}: no device selected`, 'error');
    setStatus(`${verb} ${describe(ids)}…`);
    call({ ids }).then(
      () => {
        setStatus(`${verb}: ${describe(ids)} done`);
        after?.();
        void store.refresh();
      },
      (e: unknown) => setStatus(`${verb} ${describe(ids)} failed: ${errText(e)}`, 'error'),
    );
  };
  const confirm = (question: string, yes: () => void) => setMode({ kind: 'confirm', question: `${question} (y/N)`, yes });
  const prompt = (label: string, accept: (value: string) => string | undefined) => setMode({ kind: 'prompt', label, value: '', accept });
  const background = (what: string, work: () => Promise<string>, after?: () => void) => {
    setStatus(`${what}…`);
    work().then(
      (text) => {
        setStatus(text);
        after?.();
      },
      (e: unknown) => setStatus(`${what} failed: ${errText(e)}`, 'error'),
    );
  };

  const actions: Record<string, () => void> = {
    a: () =>
      prompt('add how many devices? (1–10000)', (v) => {
        const n = parseCount(v, 1, 10_000);
        if ('error' in n) return n.error;
        background(`adding ${n.value} devices`, async () => `added ${(await fleet.add(n.value)).length} devices`, () => void store.refresh());
        return undefined;
      }),
    s: () => fleetAction('start', selection(), (sel) => fleet.start(sel)),
    x: () => {
      const ids = selection();
      if (ids.length > 0) confirm(`stop ${describe(ids)}?`, () => fleetAction('stop', ids, (sel) => fleet.stop(sel)));
    },
    b: () => {
      const ids = selection();
      if (ids.length > 0) confirm(`reboot ${describe(ids)}?`, () => fleetAction('reboot', ids, (sel) => fleet.reboot(sel)));
    },
    K: () => {
      const ids = selection();
      if (ids.length > 0) confirm(`kill ${describe(ids)} now (counts as a crash)?`, () => fleetAction('kill', ids, (sel) => fleet.kill(sel)));
    },
    D: () => {
      const ids = selection();
      if (ids.length === 0) return;
      confirm(`remove ${describe(ids)} and delete ${ids.length === 1 ? 'its directory' : 'their directories'}?`, () =>
        fleetAction('remove', ids, (sel) => fleet.remove(sel), () => {
          setMarked(new Set());
          if (view === 'device') setView('fleet');
        }),
      );
    },
    c: () => {
      const id = selection()[0];
      if (id === undefined) return setStatus('shell: no device selected', 'error');
      if (!props.shell) return setStatus('shell: not available in this build', 'error');
      const shell = props.shell;
      background(`shell on ${id}`, () => shell(id));
    },
    t: () => {
      const id = selection()[0];
      if (id === undefined) return setStatus('tunnel: no device selected', 'error');
      if (!props.tunnel) return setStatus('tunnel: not available in this build', 'error');
      const tunnel = props.tunnel;
      prompt(`tunnel to which port of ${id}? (Enter: 22)`, (v) => {
        const port = parsePort(v, 22);
        if ('error' in port) return port.error;
        background(`opening a tunnel to ${id}:${port.value}`, () => tunnel(id, port.value));
        return undefined;
      });
    },
    f: () => {
      const ids = selection();
      const faults = props.faults;
      const download = (key: string, label: string, fault: BinaryFaultSpec | undefined): MenuItem => ({
        key,
        label: faults ? label : `${label} (needs the embedded backend in this process)`,
        run: () => (faults ? background('download fault', () => faults.binaries(fault)) : setStatus('download faults: not available for this fleet', 'error')),
      });
      setMode({
        kind: 'menu',
        title: 'inject a fault',
        items: [
          {
            key: 'k',
            label: `kill ${ids.length > 0 ? describe(ids) : 'the selection'} now (a crash)`,
            run: () => (ids.length > 0 ? confirm(`kill ${describe(ids)} now?`, () => fleetAction('kill', ids, (sel) => fleet.kill(sel))) : setStatus('kill: no device selected', 'error')),
          },
          download('5', 'downloads answer HTTP 500', { status: 500 }),
          download('t', 'downloads are cut after 1 KiB', { truncateAt: 1024 }),
          download('c', 'downloads carry one flipped byte', { corrupt: true }),
          download('0', 'clear download faults', undefined),
        ],
      });
    },
    n: () => {
      if (!script) return;
      const next = demo.index + 1;
      if (next >= script.steps.length) return setStatus('the demo is over: every step ran');
      runStep(next);
    },
  };

  const releaseActions: Record<string, () => void> = {
    e: () => {
      const r = selectedRelease;
      if (!r || !props.releases) return;
      const api = props.releases;
      background(`${r.disabled ? 'enabling' : 'disabling'} ${r.name}`, async () => {
        await api.setDisabled(r.uuid, !r.disabled);
        return `${r.name} ${r.disabled ? 'enabled' : 'disabled'}`;
      }, releases.reload);
    },
    p: () => {
      const r = selectedRelease;
      if (!r || !props.releases) return;
      const api = props.releases;
      prompt(`phase value for ${r.name} (50%, 0.5 or a device count)`, (v) => {
        const parsed = parsePhaseValue(v);
        if ('error' in parsed) return parsed.error;
        background(`phasing ${r.name}`, async () => {
          await api.setPhaseValue(r.uuid, parsed.value);
          return `${r.name} phase value ${v.trim()}`;
        }, releases.reload);
        return undefined;
      });
    },
    T: () => {
      const r = selectedRelease;
      if (!r || !props.releases) return;
      const api = props.releases;
      prompt(`phase tags for ${r.name} (comma-separated; empty: no tag gate)`, (v) => {
        const tags = parseTags(v);
        if ('error' in tags) return tags.error;
        background(`phasing ${r.name}`, async () => {
          await api.setPhaseTags(r.uuid, tags.value);
          return `${r.name} phase tags ${tags.value?.join(',') ?? 'cleared'}`;
        }, releases.reload);
        return undefined;
      });
    },
    C: () => {
      if (!props.releases) return;
      const api = props.releases;
      const cohort = selectedRelease?.cohort_uuid;
      if (cohort === undefined) return setStatus('create: no release yet to take the cohort from', 'error');
      setStatus('loading artifacts…');
      api.artifacts().then(
        (choices) => {
          if (choices.length === 0) return setStatus('create: no artifact version with signed binaries', 'error');
          const keys = '123456789abcdfghijklmnorsuvwxyz';
          setStatus('');
          setMode({
            kind: 'menu',
            title: 'create a release from which artifact version?',
            items: choices.slice(0, keys.length).map((c, i) => ({ key: keys[i] as string, label: `${c.artifact} ${c.version} (${c.binaryUuids.length} binaries)`, run: () => askRelease(api, c, cohort) })),
          });
        },
        (e: unknown) => setStatus(`artifacts: ${errText(e)}`, 'error'),
      );
    },
  };
  const askRelease = (api: ReleasesApi, choice: ArtifactChoice, cohortUuid: string) => {
    prompt(`release name (Enter: release-${choice.artifact}-${choice.version})`, (nameText) => {
      const name = nameText.trim() || `release-${choice.artifact}-${choice.version}`;
      if (!/^[\w.-]+$/.test(name)) return `${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`;
      prompt(`version of ${name} (Enter: ${choice.version})`, (versionText) => {
        const version = parseSemver(versionText.trim() || choice.version);
        if ('error' in version) return version.error;
        background(`creating ${name}`, async () => {
          await api.createFromArtifact(choice, { name, version: version.value, cohortUuid });
          return `${name} created (disabled): e enables it`;
        }, releases.reload);
        return undefined;
      });
      return 'keep'; // the next prompt replaced this one
    });
  };

  // --- keys ------------------------------------------------------------------------------------
  const quit = () => {
    props.onQuit?.();
    exit();
  };
  const move = (delta: number) => {
    if (view === 'fleet') {
      const next = clamp(index + delta, 0, Math.max(0, rows.length - 1));
      setCursor({ id: rows[next]?.id, index: next });
    } else if (view === 'releases') setRelCursor((c) => clamp(c + delta, 0, Math.max(0, relRows.length - 1)));
    else if (view === 'events') setEventScroll((s) => clamp(s - delta, 0, Math.max(0, snapshot.events.length - 1)));
    else if (view === 'device') setScroll((s) => Math.max(0, section === 'logs' || section === 'events' ? s - delta : Math.min(s + delta, 10_000)));
  };

  const onKey = (input: string, key: Key) => {
    if (key.ctrl && input === 'c') return quit();
    if (mode.kind === 'help') return setMode({ kind: 'normal' });
    if (mode.kind === 'confirm') {
      setMode({ kind: 'normal' });
      if (input === 'y' || input === 'Y') mode.yes();
      else setStatus('cancelled');
      return;
    }
    if (mode.kind === 'menu') {
      if (key.escape) return setMode({ kind: 'normal' });
      const item = mode.items.find((i) => i.key === input);
      if (!item) return;
      setMode({ kind: 'normal' });
      item.run();
      return;
    }
    // keys typed faster than a frame is drawn come as one input: "25⏎" is the text, then Enter
    const typedThenEnter = input.length > 1 && input.endsWith('\r') && printable(input.slice(0, -1)) ? input.slice(0, -1) : undefined;
    if (mode.kind === 'prompt') {
      if (key.escape) {
        setMode({ kind: 'normal' });
        return setStatus('cancelled');
      }
      if (key.return || typedThenEnter !== undefined) {
        const error = mode.accept(mode.value + (typedThenEnter ?? ''));
        if (error === 'keep') return;
        if (error !== undefined) return setMode({ ...mode, value: '', error });
        setMode((m) => (m === mode ? { kind: 'normal' } : m));
        return;
      }
      if (key.backspace || key.delete) return setMode({ ...mode, value: mode.value.slice(0, -1) });
      if (input && !key.ctrl && !key.meta && printable(input)) return setMode({ ...mode, value: mode.value + input });
      return;
    }
    if (mode.kind === 'filter') {
      if (key.escape) {
        setFilter('');
        return setMode({ kind: 'normal' });
      }
      if (typedThenEnter !== undefined) setFilter((f) => f + typedThenEnter);
      if (key.return || typedThenEnter !== undefined) return setMode({ kind: 'normal' });
      if (key.backspace || key.delete) return setFilter((f) => f.slice(0, -1));
      if (input && !key.ctrl && !key.meta && printable(input)) setFilter((f) => f + input);
      return;
    }

    // normal mode
    // a held j or k read while a frame was drawn comes as one input ("jjj"): each press moves
    if (/^([jk])\1+$/.test(input)) return move((input[0] === 'j' ? 1 : -1) * input.length);
    if (view === 'fleet' && input.length > 1 && input.startsWith('/')) {
      const typed = typedThenEnter ?? input;
      if (!printable(typed)) return;
      setFilter((f) => f + typed.slice(1));
      return setMode({ kind: typedThenEnter === undefined ? 'filter' : 'normal' });
    }
    if (input === '?') return setMode({ kind: 'help' });
    if (input === 'q') {
      if (props.ownsFleet) return confirm('quit and stop the fleet?', quit);
      return quit();
    }
    const tab = ['1', '2', '3', '4'].indexOf(input);
    if (tab >= 0) return setView(VIEWS[tab] as TopView);
    if (key.tab) return setView((v) => VIEWS[(VIEWS.indexOf(v === 'device' ? 'fleet' : v) + 1) % VIEWS.length] as TopView);
    if (key.escape) {
      if (view === 'device') setView('fleet');
      return;
    }
    if (key.upArrow || input === 'k') return move(-1);
    if (key.downArrow || input === 'j') return move(1);
    if (key.pageUp) return move(-visible);
    if (key.pageDown) return move(visible);
    if (key.home || input === 'g') return move(-Number.MAX_SAFE_INTEGER);
    if (key.end || input === 'G') {
      if (view === 'device') return setScroll(0);
      if (view === 'events') return setEventScroll(0);
      return move(Number.MAX_SAFE_INTEGER);
    }
    if (view === 'device' && (key.leftArrow || key.rightArrow || input === 'h' || input === 'l')) {
      const i = DEVICE_SECTIONS.indexOf(section) + (key.leftArrow || input === 'h' ? -1 : 1);
      setSection(DEVICE_SECTIONS[(i + DEVICE_SECTIONS.length) % DEVICE_SECTIONS.length] as DeviceSection);
      return setScroll(0);
    }
    if (view === 'releases') {
      const act = releaseActions[input];
      if (act) return act();
      if (input === 'R') return releases.reload();
    }
    if (view === 'fleet') {
      if (key.return && current) {
        setDeviceId(current.id);
        setScroll(0);
        return setView('device');
      }
      if (input === '/') return setMode({ kind: 'filter' });
      if (input === 'o') return setSort((s) => ({ key: SORT_KEYS[(SORT_KEYS.indexOf(s.key) + 1) % SORT_KEYS.length] ?? 'id', desc: s.desc }));
      if (input === 'O') return setSort((s) => ({ ...s, desc: !s.desc }));
      if (input === ' ' && current) {
        const id = current.id;
        setMarked((m) => {
          const next = new Set(m);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
        return move(1);
      }
      if (input === '*') return setMarked(new Set(rows.map((d) => d.id)));
      if (input === 'u') return setMarked(new Set());
    }
    const act = actions[input];
    if (act && (view === 'fleet' || view === 'device' || input === 'n' || input === 'a')) return act();
    // anything else: ignored
  };
  // ink re-subscribes a new handler only after effects run: read the latest closure through a ref
  const latest = useRef(onKey);
  latest.current = onKey;
  const stableKey = useCallback((input: string, key: Key) => latest.current(input, key), []);
  useIgnoreUnnamedKeys();
  useInput(stableKey);

  // --- layout ----------------------------------------------------------------------------------
  const width = size.columns;
  let body: ReactNode;
  if (mode.kind === 'help') body = <HelpOverlay height={bodyHeight} width={width} />;
  else if (view === 'fleet')
    body = <FleetTable rows={rows} total={snapshot.devices.length} cursor={index} top={top.current} height={bodyHeight} width={width} marked={present} sort={sort} filter={filter} now={now} />;
  else if (view === 'summary') body = <SummaryView snapshot={snapshot} width={width} height={bodyHeight} />;
  else if (view === 'releases')
    body = <ReleasesView releases={releases.value} error={releases.error} available={props.releases !== undefined} cursor={clamp(relCursor, 0, Math.max(0, relRows.length - 1))} width={width} height={bodyHeight} />;
  else if (view === 'events') body = <EventsView events={snapshot.events} scroll={eventScroll} width={width} height={bodyHeight} />;
  else
    body = (
      <DeviceView
        id={deviceId ?? ''}
        device={snapshot.devices.find((d) => d.id === deviceId)}
        section={section}
        scroll={scroll}
        logs={logs}
        details={props.inspect ? details : undefined}
        events={snapshot.events.filter((e) => e.id === deviceId)}
        width={width}
        height={bodyHeight}
        now={now}
      />
    );

  let line = status.text;
  let tone: Tone = status.tone;
  if (mode.kind === 'prompt') {
    line = `${mode.error ? `${mode.error} · ` : ''}${mode.label}: ${mode.value}▏`;
    tone = mode.error ? 'error' : 'ask';
  } else if (mode.kind === 'confirm') {
    line = mode.question;
    tone = 'ask';
  } else if (mode.kind === 'menu') {
    line = `${mode.title}: ${mode.items.map((i) => `${i.key} ${i.label}`).join(' · ')} · Esc`;
    tone = 'ask';
  } else if (mode.kind === 'filter') {
    line = `filter: ${filter}▏ (Enter keeps it, Esc clears)`;
    tone = 'ask';
  } else if (!snapshot.loaded && !line) line = 'connecting to the fleet…';
  const hints: Record<View, string> = {
    fleet: 'Enter open · / filter · o sort · space mark · a add · s/x/b start/stop/reboot · K kill · D rm · c shell · t tunnel · f fault',
    summary: '1 fleet · 3 releases · 4 events · a add devices',
    releases: '↑/↓ select · e enable/disable · p phase value · T phase tags · C create · R reload',
    events: '↑/↓ scroll · G follow',
    device: 'Esc back · ←/→ section · s/x/b start/stop/reboot · K kill · D rm · c shell · t tunnel · f fault',
  };
  const step = script ? (script.steps[demo.index] ?? script.steps[0]) : undefined;
  return (
    <Box flexDirection="column" width={width} height={size.rows}>
      <Header title={props.title ?? 'vfleet'} runtime={fleet.runtime} total={snapshot.summary.total} online={snapshot.summary.byPhase.online ?? 0} view={view} refreshMs={props.refreshMs ?? 1000} width={width} />
      {script && step && narrationLines > 0 ? (
        <Narration
          step={demo.index}
          steps={script.steps.length}
          title={demo.index < 0 ? (script.steps[0]?.title ?? '') : step.title}
          text={demo.index < 0 ? script.intro : step.narration}
          note={demo.note}
          auto={script.auto}
          width={width}
        />
      ) : null}
      {snapshot.banner ? (
        <Text color="white" backgroundColor="red">
          {cell(` ${snapshot.banner} `, width)}
        </Text>
      ) : null}
      <Box height={bodyHeight} flexDirection="column">
        {body}
      </Box>
      <Footer line={line} tone={tone} hints={hints[view]} width={width} />
    </Box>
  );
}
