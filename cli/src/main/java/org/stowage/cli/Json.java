package org.stowage.cli;

/** JSON lines: one object per line, for {@code --json}. */
final class Json {
  private Json() {}

  /**
   * One JSON object, from alternating names and values. A value is a {@link String}, a {@link
   * Number}, a {@link Boolean} or {@code null}; a name whose value is {@code null} is left out.
   *
   * @param namesAndValues name, value, name, value...
   * @return the object on one line
   */
  static String object(Object... namesAndValues) {
    StringBuilder json = new StringBuilder("{");
    for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
      Object value = namesAndValues[i + 1];
      if (value == null) {
        continue;
      }
      if (json.length() > 1) {
        json.append(',');
      }
      string(json, namesAndValues[i].toString()).append(':');
      if (value instanceof Number || value instanceof Boolean) {
        json.append(value);
      } else {
        string(json, value.toString());
      }
    }
    return json.append('}').toString();
  }

  private static StringBuilder string(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(s, i)) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append('"');
  }

  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c)
        ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
