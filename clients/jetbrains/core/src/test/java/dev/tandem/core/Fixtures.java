package dev.tandem.core;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

/** Protocol payloads as the server sends them, for the unit tests. */
final class Fixtures {
  private Fixtures() {}

  static JsonElement json(String text) {
    return JsonParser.parseString(text.replace('\'', '"'));
  }

  static JsonElement snapshot(String id, long seq, String status, String startedAt) {
    return json(
        "{'sessionId':'"
            + id
            + "','seq':"
            + seq
            + ",'flow':'code_review','title':'Review group/app!7','status':'"
            + status
            + "','reference':{'kind':'merge_request','url':'http://127.0.0.1:1/group/app/-/merge_requests/7','label':'group/app!7'},"
            + "'trigger':'chat','conversationId':'c1','startedAt':'"
            + startedAt
            + "','updatedAt':'"
            + startedAt
            + "'}");
  }

  static JsonElement flowApproval(String id, String createdAt) {
    return json(
        "{'approvalId':'"
            + id
            + "','kind':'flow','title':'Start Code Review?','conversationId':'c1',"
            + "'flow':{'id':'code_review','name':'Code Review'},"
            + "'reference':{'kind':'merge_request','url':'http://127.0.0.1:1/group/app/-/merge_requests/7','label':'group/app!7'},"
            + "'createdAt':'"
            + createdAt
            + "'}");
  }

  static JsonElement chat(String messageId, String role, String field, String value, boolean done) {
    JsonElement e =
        json("{'conversationId':'c1','turnId':'t1','messageId':'" + messageId + "','role':'" + role + "','done':" + done + "}");
    if (field != null) e.getAsJsonObject().addProperty(field, value);
    return e;
  }
}
