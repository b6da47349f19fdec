package org.stowage.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What an S3 server does with the requests that {@link S3Storage}'s guarantees rest on, as {@link
 * S3Storage#serverFeatures()} learned it by trying each one under the storage's root (the probe;
 * see docs/s3.md, "The server probe").
 *
 * <p>Each answer is {@link Support#YES}, {@link Support#NO} or {@link Support#UNKNOWN} (the probe
 * could not tell, for example on a bucket the storage may not write to; {@link #notes()} says why).
 * {@link #refusals()} lists the rules of docs/contract.md the server cannot back, and what {@code
 * S3Storage} does about each; {@link #report()} is the same as text, as logged once at INFO.
 *
 * <p>A value; safe to share between threads.
 *
 * @param server the endpoint and bucket probed, for messages
 * @param storesBytesSent whether an object read back holds the bytes its {@code PutObject} sent
 *     (a server that keeps the {@code aws-chunked} framing as the object's bytes does not)
 * @param md5ETags whether the ETag of a plain {@code PutObject} is the MD5 of its bytes
 * @param conditionalCreate whether {@code PutObject} with {@code If-None-Match: *} is refused
 *     ({@code 412}) when the key exists
 * @param atomicConditionalCreate whether, of several concurrent conditional {@code PutObject}s of
 *     one absent key, only one succeeds; {@link Support#YES} means no round of the quick check saw
 *     two winners, which is evidence, not proof
 * @param conditionalDelete whether {@code DeleteObject} with {@code If-Match} on another ETag is
 *     refused ({@code 412})
 * @param contentMd5Checked whether a {@code PutObject} whose {@code Content-MD5} does not match its
 *     body is refused
 * @param badDigestAnswer the status and error code of that refusal ({@code "400 BadDigest"} on
 *     AWS), or null if there was none
 * @param uploadPartCopy whether {@code UploadPartCopy} works
 * @param abortKeepsObject whether aborting a multipart upload leaves the object that another,
 *     completed upload committed at the same key
 * @param listingOrder the order {@code ListObjectsV2} gives keys in
 * @param notes why an answer is {@link Support#UNKNOWN}, or other remarks; never null
 */
public record S3ServerFeatures(
    String server,
    Support storesBytesSent,
    Support md5ETags,
    Support conditionalCreate,
    Support atomicConditionalCreate,
    Support conditionalDelete,
    Support contentMd5Checked,
    String badDigestAnswer,
    Support uploadPartCopy,
    Support abortKeepsObject,
    ListingOrder listingOrder,
    List<String> notes) {

  /** Whether the server does something. */
  public enum Support {
    /** The server does it. */
    YES,
    /** The server does not do it. */
    NO,
    /** The probe could not tell. */
    UNKNOWN
  }

  /** The order a server lists keys in. */
  public enum ListingOrder {
    /** S3's order: ascending UTF-8 bytes, which {@code iterContents} needs (rule I2). */
    UTF8,
    /** Java {@code String} order: characters above U+FFFF before U+E000 to U+FFFF. */
    UTF16,
    /** Another order, such as a file walk's. */
    OTHER,
    /** The probe could not tell; {@link S3ServerFeatures#notes()} may say why. */
    UNKNOWN
  }

  /**
   * A rule the server cannot back.
   *
   * @param feature the server's missing feature, as the messages name it
   * @param rules the rules of docs/contract.md concerned
   * @param consequence what S3Storage does about it, and what a user can do
   */
  public record Refusal(String feature, String rules, String consequence) {
    /**
     * Checks the components.
     *
     * @param feature the server's missing feature
     * @param rules the rules concerned
     * @param consequence what S3Storage does about it
     * @throws NullPointerException if a component is null
     */
    public Refusal {
      Objects.requireNonNull(feature, "feature");
      Objects.requireNonNull(rules, "rules");
      Objects.requireNonNull(consequence, "consequence");
    }

    @Override
    public String toString() {
      return feature + " (" + rules + "): " + consequence;
    }
  }

  /**
   * Checks the components and copies the notes.
   *
   * @param server the endpoint and bucket probed
   * @param storesBytesSent whether an object read back holds the bytes sent
   * @param md5ETags whether a plain upload's ETag is its MD5
   * @param conditionalCreate whether {@code If-None-Match: *} is honoured
   * @param atomicConditionalCreate whether only one of concurrent conditional creates succeeds
   * @param conditionalDelete whether {@code If-Match} on {@code DeleteObject} is honoured
   * @param contentMd5Checked whether a wrong {@code Content-MD5} is refused
   * @param badDigestAnswer the refusal's status and error code, or null
   * @param uploadPartCopy whether {@code UploadPartCopy} works
   * @param abortKeepsObject whether an abort leaves the object another upload committed
   * @param listingOrder the order listings give keys in
   * @param notes the remarks; copied
   * @throws NullPointerException if a component other than {@code badDigestAnswer} is null
   */
  public S3ServerFeatures {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(storesBytesSent, "storesBytesSent");
    Objects.requireNonNull(md5ETags, "md5ETags");
    Objects.requireNonNull(conditionalCreate, "conditionalCreate");
    Objects.requireNonNull(atomicConditionalCreate, "atomicConditionalCreate");
    Objects.requireNonNull(conditionalDelete, "conditionalDelete");
    Objects.requireNonNull(contentMd5Checked, "contentMd5Checked");
    Objects.requireNonNull(uploadPartCopy, "uploadPartCopy");
    Objects.requireNonNull(abortKeepsObject, "abortKeepsObject");
    Objects.requireNonNull(listingOrder, "listingOrder");
    notes = List.copyOf(notes);
  }

  /**
   * What AWS S3 documents, for a server that is not probed ({@link
   * S3Storage.Builder#serverFeatures}): every feature present, listings in UTF-8 order.
   *
   * @param server the endpoint and bucket, for messages
   * @return the features AWS S3 documents, with a note that they were assumed, not probed
   */
  public static S3ServerFeatures assumedS3(String server) {
    return new S3ServerFeatures(server, Support.YES, Support.YES, Support.YES, Support.YES, Support.YES,
        Support.YES, "400 BadDigest", Support.YES, Support.YES, ListingOrder.UTF8,
        List.of("assumed, not probed"));
  }

  /**
   * The rules this server cannot back, each with what S3Storage does about it; empty if none.
   *
   * @return the refusals, in a fixed order; an unmodifiable list, empty if the server backs every
   *     rule
   */
  public List<Refusal> refusals() {
    List<Refusal> r = new ArrayList<>();
    if (storesBytesSent == Support.NO) {
      r.add(new Refusal("stores other bytes than it is sent", "S1, S2",
          "every store fails at once; try checksumMode(WHEN_REQUIRED), which sends plain"
              + " bodies instead of aws-chunked ones (over https:// too)"));
    }
    if (conditionalCreate == Support.NO) {
      r.add(new Refusal("If-None-Match ignored (conditional create)", "S5",
          "stores with CREATE, SKIP_IF_EXISTS and FAIL_IF_DIFFERENT fail at once; use OVERWRITE,"
              + " or a server that honours If-None-Match"));
    } else if (atomicConditionalCreate == Support.NO) {
      r.add(new Refusal("conditional creates not atomic", "S5 under T1",
          "of concurrent CREATE stores of one location, more than one can succeed; CREATE is"
              + " exact only when one writer at a time stores a location"));
    }
    if (conditionalDelete == Support.NO) {
      r.add(new Refusal("If-Match on DeleteObject ignored (conditional delete)", "D1, M2",
          "a delete or move can remove a version written meanwhile"));
    }
    if (contentMd5Checked == Support.NO) {
      r.add(new Refusal("Content-MD5 not checked", "S2",
          md5ETags == Support.YES
              ? "each upload is checked against its MD5 ETag instead; a mismatch is removed and"
                  + " reported"
              : "stores fail at once: neither Content-MD5 nor the ETag can show that the server"
                  + " holds the bytes hashed"));
    } else if (contentMd5Checked == Support.YES && badDigestAnswer != null
        && !badDigestAnswer.endsWith(" BadDigest")) {
      r.add(new Refusal("a wrong Content-MD5 answered with " + badDigestAnswer
              + " instead of 400 BadDigest", "S2",
          "the body is refused all the same; the store fails with a plain"
              + " ExternalResourceException where S3 would let it tell damage on the way from a"
              + " changed source"));
    }
    if (uploadPartCopy == Support.NO) {
      r.add(new Refusal("no UploadPartCopy", "S4",
          "streams larger than one part fail at once; store such content from a file or bytes,"
              + " or raise partSize above the stream's size"));
    }
    if (abortKeepsObject == Support.NO) {
      r.add(new Refusal("aborting a multipart upload deletes the object committed at its key",
          "S2, S5",
          "a refused or failed upload in parts can remove the object that was there"));
    }
    if (listingOrder == ListingOrder.UTF16 || listingOrder == ListingOrder.OTHER) {
      r.add(new Refusal("listings in " + (listingOrder == ListingOrder.UTF16
              ? "UTF-16 (Java String) order" : "an order other than UTF-8's"), "I2",
          "iterContents fails when it meets keys out of UTF-8 order (characters above U+FFFF"
              + " next to U+E000 to U+FFFF, for UTF-16 order)"));
    }
    return List.copyOf(r);
  }

  /**
   * The findings and the refusals as text, one line each.
   *
   * @return a multi-line text: a header naming the server, a line per finding, the notes, then the
   *     refusals (or {@code none})
   */
  public String report() {
    StringBuilder b = new StringBuilder();
    b.append("S3 server ").append(server).append(':')
        .append("\n  stores the bytes sent: ").append(storesBytesSent)
        .append("\n  MD5 ETags on PutObject: ").append(md5ETags)
        .append("\n  conditional create (If-None-Match: *): ").append(conditionalCreate)
        .append("\n  conditional create atomic (quick check): ").append(atomicConditionalCreate)
        .append("\n  conditional delete (If-Match): ").append(conditionalDelete)
        .append("\n  Content-MD5 checked: ").append(contentMd5Checked)
        .append(badDigestAnswer == null ? "" : " (a wrong one answered " + badDigestAnswer + ")")
        .append("\n  UploadPartCopy: ").append(uploadPartCopy)
        .append("\n  abort keeps the object committed at the key: ").append(abortKeepsObject)
        .append("\n  listing order: ").append(listingOrder);
    for (String n : notes) {
      b.append("\n  note: ").append(n);
    }
    List<Refusal> refusals = refusals();
    b.append(refusals.isEmpty() ? "\n  refusals: none" : "\n  refusals:");
    for (Refusal r : refusals) {
      b.append("\n    - ").append(r);
    }
    return b.toString();
  }
}
