package org.stowage;

/**
 * Thrown when a write policy refused to replace an object: {@link WritePolicy#CREATE} found one present, or {@link WritePolicy#FAIL_IF_DIFFERENT} found one with a different MD5 (rule S5).
 *
 * <p>The message names the storage and the location; {@link #location()} returns the location.
 */
public class ExistingExternalResourceException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the storage and the location
   * @param location the location concerned
   * @param cause the underlying failure, or {@code null}
   */
  public ExistingExternalResourceException(String message, String location, Throwable cause) {
    super(message, location, cause);
  }

  /**
   * Same as {@code this(message, location, null)}.
   *
   * @param message what was refused, naming the storage and the location
   * @param location the location where an object is present, or {@code null} if none
   */
  public ExistingExternalResourceException(String message, String location) {
    this(message, location, null);
  }
}
