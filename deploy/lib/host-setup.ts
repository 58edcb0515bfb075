/*
 * `volume-api-deploy host-setup --mode standalone|pm2|apache|nginx`: the one switch an operator flips to
 * bring a host to one of the supported shapes. A mode is a list of steps; each step names the exact
 * commands it runs, checks first whether it is already done (then says so and runs nothing), and stops
 * the run when it fails, so running the command again resumes where it stopped.
 *
 *   standalone: npm ci, build, service user, data directory, systemd unit for dist/standalone.js,
 *               enable + (re)start it.
 *   pm2:        npm ci, build, service user, data + log directories, `pm2 start` as that user,
 *               `pm2 save`, `pm2 startup systemd`, log rotation.
 *   apache|nginx: everything of pm2, then the web server package (apt-get / dnf) when missing, on RHEL the
 *               SELinux boolean that lets it connect to the API, the service enabled and running, and
 *               `install <server>` (validate, back up, write, enable, config test, graceful reload).
 *
 * With `--root DIR` other than `/`, only the steps that write files under the root run (systemd unit,
 * logrotate configuration, vhost); steps that act on the live host are listed as skipped.
 *
 * Each step is a module under host-setup/steps/ (describe: title, commands, file text; check: already
 * done?; apply: do it) over the run's context (host-setup/context.ts). This file lists the steps of
 * each mode and walks them.
 */
import path from 'node:path';
import { bindStep, createContext, type Flags, type HostSetupOptions, type Mode, type Step, type StepModule } from './host-setup/context';
import { build, npmPackages, serviceUser, writableDirectories } from './host-setup/steps/app';
import { logRotation, pm2Save, pm2Start, pm2Startup } from './host-setup/steps/pm2';
import { standaloneService, standaloneUnit } from './host-setup/steps/standalone';
import { selinuxNetworkConnect, serverPackage, serverService, vhostInstall } from './host-setup/steps/webserver';

export { MODES, type HostSetupOptions, type Mode, type Step } from './host-setup/context';
export { renderStandaloneUnit, STANDALONE_UNIT } from './host-setup/steps/standalone';
export { LOGROTATE_FILE } from './host-setup/steps/pm2';

const APP: StepModule[] = [npmPackages, build, serviceUser, writableDirectories];
const PM2: StepModule[] = [...APP, pm2Start, pm2Save, pm2Startup, logRotation];
const WEB: StepModule[] = [...PM2, serverPackage, selinuxNetworkConnect, serverService, vhostInstall];

/** The steps of each mode, in order (a step may still not apply: SELinux on RHEL only). */
export const MODE_STEPS: Record<Mode, readonly StepModule[]> = {
  standalone: [...APP, standaloneUnit, standaloneService],
  pm2: PM2,
  apache: WEB,
  nginx: WEB,
};

export interface PlannedStep {
  step: Step;
  status: 'to do' | 'already done' | 'skipped';
  reason?: string;
}

/** The steps of a mode, in order. Nothing runs here except read-only lookups (the user's home). */
export async function planHostSetup(o: HostSetupOptions): Promise<Step[]> {
  const ctx = await createContext(o);
  return MODE_STEPS[o.mode].filter((m) => m.applies?.(ctx) ?? true).map((m) => bindStep(m, ctx));
}

/** What a step would do now: `to do` (and marks the flags for later steps), `already done` or `skipped`. */
async function assessStep(step: Step, flags: Flags, root: string): Promise<Omit<PlannedStep, 'step'>> {
  if (path.resolve(root) !== '/' && step.kind === 'host') return { status: 'skipped', reason: `--root ${root}: acts on the live host` };
  const reason = await step.check(flags);
  if (reason) return { status: 'already done', reason };
  step.marks?.(flags);
  return { status: 'to do' };
}

/** Each step with what it would do now: `to do`, `already done` (and why) or `skipped` (--root DIR). */
export async function assess(steps: Step[], root: string): Promise<PlannedStep[]> {
  const flags: Flags = {};
  const out: PlannedStep[] = [];
  for (const step of steps) out.push({ step, ...(await assessStep(step, flags, root)) });
  return out;
}

export function describePlan(planned: PlannedStep[], withDetail = true): string {
  const lines: string[] = [];
  planned.forEach(({ step, status, reason }, i) => {
    lines.push(`${i + 1}. ${step.title} [${status}${reason ? `: ${reason}` : ''}]`);
    for (const c of step.commands) lines.push(`   $ ${c}`);
    if (withDetail && step.detail && status === 'to do') for (const l of step.detail.trimEnd().split('\n')) lines.push(`     | ${l}`);
  });
  return lines.join('\n');
}

/** Runs the steps in order; stops at the first failure. Returns whether every step is done. */
export async function runHostSetup(o: HostSetupOptions & { dryRun?: boolean }): Promise<boolean> {
  const steps = await planHostSetup(o);
  if (o.dryRun) {
    o.log(`host-setup --mode ${o.mode} (${o.layout.name}), dry run: ${steps.length} steps`);
    o.log(describePlan(await assess(steps, o.root)));
    o.log('dry run: nothing was changed');
    return true;
  }
  const flags: Flags = {};
  o.log(`host-setup --mode ${o.mode} (${o.layout.name}): ${steps.length} steps`);
  for (const [i, step] of steps.entries()) {
    const head = `${i + 1}/${steps.length} ${step.title}`;
    const { status, reason } = await assessStep(step, flags, o.root);
    if (status !== 'to do') {
      o.log(`${head}: ${status} (${reason})`);
      continue;
    }
    o.log(`${head}`);
    for (const c of step.commands) o.log(`   $ ${c}`);
    try {
      await step.apply();
    } catch (err) {
      o.log(`${head}: FAILED\n${(err as Error).message}`);
      o.log(`steps after ${i + 1} were not run; fix the cause and run host-setup again (done steps are skipped)`);
      return false;
    }
    o.log(`${head}: done`);
  }
  o.log(`host-setup --mode ${o.mode}: every step is done`);
  return true;
}
