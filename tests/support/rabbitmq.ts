// A throw-away RabbitMQ broker (Debian's rabbitmq-server) for tests. startRabbitMq() starts
// one on loopback ports of its own, with everything it writes in a folder of its own, and
// waits until it accepts AMQP connections; stop() ends it completely and restart() starts it
// again on the same port with the same data, so durable queues and persistent messages
// survive, as they do when a real broker is down for a while.
//
// Why it is done this way:
// - /usr/lib/rabbitmq/bin/rabbitmq-server, not the /usr/sbin wrapper: the wrapper changes to
//   /var/lib/rabbitmq, writes to /var/log/rabbitmq and refuses users other than root and
//   `rabbitmq`. The RABBITMQ_* variables below put every file in the folder, and the
//   machine's /etc/rabbitmq is not read, so a system broker is neither touched nor needed.
// - As root the broker runs as the `rabbitmq` user that the Debian package creates
//   (runuser; the folder is given to it), as PostgreSQL runs as `postgres` in
//   scripts/test-services.sh. Any other user runs it directly.
// - It gets its own epmd (Erlang's node name server), started here on a port of its own.
//   Left alone, the broker would start a shared epmd daemon that outlives it and that
//   brokers of parallel runs would share.
// - It runs in the foreground, not with -detached: its output (what goes wrong before its
//   log file is set up) goes to console.log, and its processes stay children of ours, so
//   none is left to init. The broker writes its process id to broker.pid; stop() sends it
//   SIGTERM (a clean shutdown of a second or two) and waits for its launcher to exit.
// - "Ready" means the broker answers the AMQP protocol header with Connection.Start. Its
//   listener opens at the end of its start. rabbitmq-diagnostics takes seconds just to boot
//   its own Erlang VM.
// The broker runs on Linux (Debian), like PostgreSQL and redis-server in these tests.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const serverScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/** Whether Debian's rabbitmq-server package is installed. */
export const rabbitMqInstalled = existsSync(serverScript);

export interface RabbitMq {
  /** amqp://guest:guest@127.0.0.1:<port> (guest may sign in from loopback only). */
  readonly url: string;
  readonly port: number;
  /** The broker's folder: data (mnesia/), logs (log/, console.log). Kept by stop() for
   *  restart(); the caller removes it when done. */
  readonly dir: string;
  /** Stops the broker and its epmd, and waits until both have exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it is ready;
   *  nothing when it is running. */
  restart(): Promise<void>;
  readonly running: boolean;
}

export interface RabbitMqOptions {
  /** The broker's folder; a new temporary one when omitted. */
  dir?: string;
  /** The AMQP port; a free one when omitted. */
  port?: number;
  /** How long a start may take before it counts as failed. */
  startTimeoutMs?: number;
}

/** `count` different ports that nothing listens on right now (all held open at once, so
 *  no two are the same). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            if (typeof address === "object" && address) resolve(address.port);
            else reject(new Error("no port"));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Whether the port answers the AMQP 0-9-1 protocol header with Connection.Start (a method
 *  frame on channel 0 of class 10, method 10), i.e. accepts AMQP connections. */
function answersAmqp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once("connect", () => socket.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1")));
    socket.once("data", (data) =>
      done(data.length >= 11 && data[0] === 1 && data.readUInt32BE(7) === 0x000a000a),
    );
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

/** Spawns a process whose failure to start (no such command) is an exit, not a crash. */
function launch(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  child.once("error", (error) => spawnErrors.set(child, error));
  // Neither keeps the test process alive; stop() waits for them when it is called.
  child.unref();
  return child;
}
const spawnErrors = new WeakMap<ChildProcess, Error>();

const hasExited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null || spawnErrors.has(child);

/** Resolves true when the process has exited, false when `ms` passed first. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", done);
    child.once("error", done);
  });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

export async function startRabbitMq(options: RabbitMqOptions = {}): Promise<RabbitMq> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "gatehouse-rabbitmq-"));
  mkdirSync(dir, { recursive: true });
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const [distPort = 0, epmdPort = 0, freePort = 0] = await freePorts(3);
  const port = options.port ?? freePort;
  const asRoot = process.getuid?.() === 0;
  const node = `gatehouse${port}@localhost`;
  const pidFile = join(dir, "broker.pid");
  const consoleLog = join(dir, "console.log");

  // An empty plugin list: no management UI, no plugins to load, a quicker start.
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  if (asRoot) execFileSync("chown", ["-R", "rabbitmq:rabbitmq", dir]);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir, // where Erlang keeps its cookie
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_PID_FILE: pidFile,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    // Files that do not exist, so the machine's /etc/rabbitmq is not read.
    RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq"),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
    // Erlang distribution (used by rabbitmqctl) on loopback only, as AMQP is.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    ERL_CRASH_DUMP: join(dir, "erl_crash.dump"),
  };

  let epmd: ChildProcess | null = null;
  let broker: ChildProcess | null = null;

  const stop = async () => {
    if (broker) {
      // SIGTERM to the broker's own process, not to runuser: runuser passes it on but kills
      // the broker 2 s later, mid-shutdown. Before broker.pid exists, to the launcher.
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : NaN;
      const signal = (name: NodeJS.Signals) => {
        try {
          if (Number.isInteger(pid) && pid > 0) process.kill(pid, name);
          else broker?.kill(name);
        } catch {
          // Already gone.
        }
      };
      signal("SIGTERM");
      if (!(await exited(broker, 30_000))) {
        signal("SIGKILL");
        broker.kill("SIGKILL");
        await exited(broker, 5_000);
      }
      broker = null;
      // A stale pid could belong to some other process by the next stop().
      rmSync(pidFile, { force: true });
    }
    if (epmd) {
      epmd.kill("SIGTERM");
      if (!(await exited(epmd, 5_000))) epmd.kill("SIGKILL");
      epmd = null;
    }
  };

  const start = async () => {
    rmSync(pidFile, { force: true });
    epmd = launch("epmd", ["-port", String(epmdPort), "-address", "127.0.0.1"], {
      stdio: "ignore",
    });
    // The broker would start a shared epmd daemon of its own if ours were not listening yet.
    const deadline = Date.now() + startTimeoutMs;
    while (!(await accepts(epmdPort))) {
      if (hasExited(epmd) || Date.now() > deadline) {
        const reason = spawnErrors.get(epmd)?.message ?? "";
        await stop();
        throw new Error(`epmd did not start on port ${epmdPort} ${reason}`.trim());
      }
      await sleep(20);
    }

    const output = openSync(consoleLog, "a");
    const [command, args] = asRoot
      ? ["runuser", ["-u", "rabbitmq", "--", "env", `HOME=${dir}`, serverScript]]
      : [serverScript, []];
    try {
      broker = launch(command, args, { cwd: dir, env, stdio: ["ignore", output, output] });
    } finally {
      closeSync(output);
    }
    const launcher = broker;

    for (;;) {
      if (await answersAmqp(port)) return;
      const ended = hasExited(launcher);
      if (ended || Date.now() > deadline) {
        const why = ended
          ? `exited${spawnErrors.has(launcher) ? ` (${spawnErrors.get(launcher)?.message})` : ""}`
          : `was not ready within ${startTimeoutMs} ms`;
        await stop();
        throw new Error(
          `rabbitmq-server ${why} (port ${port}).\n` +
            `The end of its output (${consoleLog}):\n${tail(consoleLog, 10)}\n` +
            `The end of its log:\n${tail(join(dir, "log", `${node}.log`), 20)}`,
        );
      }
      await sleep(100);
    }
  };

  try {
    await start();
  } catch (error) {
    // The error has the end of the broker's output; a folder made here is not left behind.
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return broker !== null && !hasExited(broker);
    },
    stop,
    async restart() {
      if (broker && !hasExited(broker)) return;
      await stop(); // what is left of a broker that ended by itself: its epmd
      await start();
    },
  };
}
