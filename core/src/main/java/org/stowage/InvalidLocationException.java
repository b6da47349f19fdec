package org.stowage;

/**
 * Thrown when a location or a listing prefix breaks the location rules (contract rules L1, L2 and
 * L5), before any backend code runs. Nothing has been read or written when it is thrown.
 *
 * <p>The message has the form {@code invalid location "a/../b": a segment is "..", which could leave
 * the root (rule L2)}: the offending string (with control characters escaped), the reason, and the
 * rule.
 */
public class InvalidLocationException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  /** Why the location was rejected; part of the serialized form. */
  private final String reason;
  /** The id of the rule broken; part of the serialized form. */
  private final String rule;

  /**
   * @param location the rejected string, as given (may be {@code null} if {@code null} was given)
   * @param reason why it was rejected, in a few words
   * @param rule the contract rule it breaks, for example {@code "L2"}
   */
  public InvalidLocationException(String location, String reason, String rule) {
    super(
        "invalid location " + Location.quote(location) + ": " + reason + " (rule " + rule + ")",
        location,
        null);
    this.reason = reason;
    this.rule = rule;
  }

  /**
   * Why the location was rejected, in a few words.
   *
   * @return the reason given at construction, as it appears in the message
   */
  public String reason() {
    return reason;
  }

  /**
   * The id of the contract rule the location breaks, for example {@code "L2"}.
   *
   * @return the rule's id as in docs/contract.md, as it appears in the message
   */
  public String rule() {
    return rule;
  }
}
