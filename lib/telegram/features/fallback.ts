// Anything no feature handled: a reaction plus a one-line hint for messages, and an empty
// answer for callback queries. Composed last.
import { Composer, type Context } from "grammy";

/** From Telegram's allowed list (ReactionTypeEmoji). */
const REACTION_UNKNOWN = "🤔";

export function fallbackFeature(): Composer<Context> {
  const fallback = new Composer<Context>();
  fallback.on("message", async (ctx) => {
    await ctx.react(REACTION_UNKNOWN);
    await ctx.reply("I only understand /sessions, /unlink and /help.");
  });
  // Every callback query gets an answer, or the button spins on the person's phone.
  fallback.on("callback_query", (ctx) => ctx.answerCallbackQuery());
  return fallback;
}
