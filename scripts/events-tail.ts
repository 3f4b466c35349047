// npm run events:tail [-- <binding>]
//
// Prints the security events Gatehouse publishes to RabbitMQ (docs/jobs.md, "Events"), for a
// developer: a queue of its own (exclusive: it goes when this stops) bound to
// `gatehouse.events` with the binding given (default `security.#`, everything; e.g.
// `security.sign_in.*`), and one line per event: time, type, subject, then the CloudEvent.
import { Connection } from "rabbitmq-client";

import { getSettings, SettingsError } from "@/lib/env";
import { describeUrl } from "@/lib/startup";
import { TOPOLOGY, EVENTS_EXCHANGE } from "@/lib/queue/topology";

import { loadEnvFiles } from "./load-env";

async function main(): Promise<void> {
  loadEnvFiles(process.env.NODE_ENV !== "production");
  const settings = getSettings();
  if (!settings.queue) throw new Error("AMQP_URL is not set: no events are published without it");
  const binding = process.argv[2] ?? "security.#";
  const connection = new Connection({ url: settings.queue.url, connectionName: "events-tail" });
  connection.on("error", (error: unknown) =>
    console.error(`RabbitMQ: ${error instanceof Error ? error.message : String(error)}`),
  );
  const consumer = connection.createConsumer(
    {
      queue: "",
      queueOptions: { exclusive: true },
      exchanges: TOPOLOGY.exchanges.filter((exchange) => exchange.exchange === EVENTS_EXCHANGE),
      queueBindings: [{ exchange: EVENTS_EXCHANGE, routingKey: binding }],
    },
    (message) => {
      const event = message.body as { time?: string; type?: string; subject?: string };
      console.log(
        `${event.time ?? "?"}  ${event.type ?? message.routingKey}  ${event.subject ?? "-"}  ` +
          JSON.stringify(message.body),
      );
    },
  );
  consumer.once("ready", () =>
    console.error(
      `listening on ${describeUrl(settings.queue?.url ?? "")}, ${EVENTS_EXCHANGE} ${binding} (Ctrl-C stops)`,
    ),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await consumer.close();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof SettingsError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
