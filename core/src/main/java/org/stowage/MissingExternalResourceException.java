package org.stowage;

/**
 * Thrown when nothing is stored at a location: a load, a metadata query or a {@link ExternalStorage#delete delete} of a location that holds no object (rules R1 and D1).
 *
 * <p>The message names the storage and the location; {@link #location()} returns the location.
 */
public class MissingExternalResourceException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the storage and the location
   * @param location the location concerned
   * @param cause the underlying failure, or {@code null}
   */
  public MissingExternalResourceException(String message, String location, Throwable cause) {
    super(message, location, cause);
  }

  /**
   * Same as {@code this(message, location, null)}.
   *
   * @param message what is missing, naming the storage and the location
   * @param location the location where no object is, or {@code null} if none
   */
  public MissingExternalResourceException(String message, String location) {
    this(message, location, null);
  }
}
