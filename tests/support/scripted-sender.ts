// A Bot API sender (lib/telegram/outbox.ts's AlertSender) whose answers a test scripts, and
// that records what it was asked to send.
import type { AlertSender } from "@/lib/telegram/outbox";

export interface SentMessage {
  chatId: number;
  text: string;
  keyboard?: unknown;
}

/** A sender whose answers the test scripts; an answer may be an error to throw. */
export function scriptedSender(...answers: (Error | "ok")[]) {
  const sent: SentMessage[] = [];
  let messageId = 100;
  const sender: AlertSender = {
    sendMessage(chatId, text, other) {
      const answer = answers.shift() ?? "ok";
      sent.push({ chatId, text, keyboard: other?.reply_markup });
      if (answer instanceof Error) return Promise.reject(answer);
      messageId += 1;
      return Promise.resolve({ message_id: messageId });
    },
  };
  return { sender, sent };
}
