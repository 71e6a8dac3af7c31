/* The confirmation's one step shared by the stock page and the order ticket: send the pending order once. */

/**
 * Sends `ticket.pending` ({side, order, key}) to the ticket's buy or sell URL with `post(url, order, key)`,
 * once: nothing while a send is on its way, after a refusal, or without a pending order (then null).
 * `submitting` is true while it is on its way; a retry reuses the same idempotency key. The answer is the
 * caller's to show.
 */
export async function placePending(ticket, post) {
  if (ticket.submitting || ticket.refused || !ticket.pending) return null;
  ticket.submitting = true;
  ticket.confirmError = null;
  const { side, order, key } = ticket.pending;
  const url = side === "buy" ? ticket.$root.dataset.buyUrl : ticket.$root.dataset.sellUrl;
  try {
    return await post(url, order, key);
  } finally {
    ticket.submitting = false;
  }
}
