package dev.tandem.core;

import com.google.gson.JsonElement;
import dev.tandem.core.protocol.Protocol;
import dev.tandem.core.protocol.Protocol.ApprovalRequestedParams;
import dev.tandem.core.protocol.Protocol.ApprovalResolvedParams;
import dev.tandem.core.protocol.Protocol.ChatUpdateParams;
import dev.tandem.core.protocol.Protocol.Decision;
import dev.tandem.core.protocol.Protocol.Methods;
import dev.tandem.core.protocol.Protocol.Scope;
import dev.tandem.core.protocol.Protocol.SessionSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the client knows, only from the protocol: the conversation on screen, approvals and session
 * snapshots. The IDE glue feeds it the server's notifications ({@link #accept}) and renders what it
 * reads back; listeners hear what changed. Thread-safe: notifications arrive on the connection's
 * thread, reads come from the UI thread, and every read returns an immutable copy.
 */
public final class ClientState {
  /** What a change touched; views redraw only that. */
  public enum Change {
    CHAT,
    APPROVALS,
    SESSIONS
  }

  /** Hears every change; {@code id} is the approval's or session's id, or null for the chat. */
  @FunctionalInterface
  public interface Listener {
    void changed(Change what, String id);
  }

  /** One entry of the conversation, in arrival order. */
  public sealed interface ChatItem permits Message, ApprovalCard {}

  /**
   * A chat message. A message with a {@code sessionId} is a session widget: render it from {@link
   * #session}, which changes in place as the session moves on.
   */
  public record Message(
      String id,
      String conversationId,
      ChatUpdateParams.Role role,
      String text,
      boolean done,
      String sessionId,
      ChatUpdateParams.Error error)
      implements ChatItem {}

  /** Where an approval card stands in the conversation; its state is {@link #approval}. */
  public record ApprovalCard(String approvalId, String conversationId) implements ChatItem {}

  /** Where an approval stands on this side. */
  public enum AnswerState {
    /** Waiting for the person. */
    PENDING,
    /** An answer was sent; the server has not confirmed it yet. */
    ANSWERING,
    APPROVED,
    DENIED
  }

  /** An approval as the server asked it, and how far it got. */
  public record Approval(ApprovalRequestedParams request, AnswerState state, Scope scope, String reason) {
    public String id() {
      return request.approvalId;
    }

    public boolean isOpen() {
      return state == AnswerState.PENDING || state == AnswerState.ANSWERING;
    }
  }

  private final List<ChatItem> items = new ArrayList<>();
  private final Map<String, Approval> approvals = new LinkedHashMap<>();
  private final Map<String, SessionSnapshot> sessions = new LinkedHashMap<>();
  /** Resolutions of approvals not (yet) known here, oldest dropped first. */
  private final Map<String, ApprovalResolvedParams> earlyResolutions =
      new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ApprovalResolvedParams> eldest) {
          return size() > 256;
        }
      };
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private String conversationId;

  public void subscribe(Listener listener) {
    listeners.add(listener);
  }

  public void unsubscribe(Listener listener) {
    listeners.remove(listener);
  }

  private void fire(Change what, String id) {
    for (Listener l : listeners) {
      try {
        l.changed(what, id);
      } catch (RuntimeException e) {
        // One broken view must not stop the others from hearing about the change.
      }
    }
  }

  /**
   * Takes a server → client notification of protocol v1.
   *
   * @return false for a method this state does not keep (the caller may log it)
   * @throws ProtocolException when the payload does not match the protocol; the state is unchanged
   */
  public boolean accept(String method, JsonElement params) {
    switch (method) {
      case Methods.CHAT_UPDATE -> chatUpdate(Json.read(params, ChatUpdateParams.class, method));
      case Methods.APPROVAL_REQUESTED ->
          approvalRequested(Json.read(params, ApprovalRequestedParams.class, method));
      case Methods.APPROVAL_RESOLVED ->
          approvalResolved(Json.read(params, ApprovalResolvedParams.class, method));
      case Methods.SESSION_STATUS -> sessionStatus(Json.read(params, SessionSnapshot.class, method));
      default -> {
        return false;
      }
    }
    return true;
  }

  // ---- chat

  /** Appends or replaces the text of a message ({@code text} replaces, {@code delta} appends). */
  public void chatUpdate(ChatUpdateParams u) {
    if (applyChatUpdate(u)) fire(Change.CHAT, null);
  }

  private synchronized boolean applyChatUpdate(ChatUpdateParams u) {
    int index = indexOfMessage(u.messageId);
    Message known = index < 0 ? null : (Message) items.get(index);
    // Transports may reorder notifications (LSP4IJ dispatches each on its own task); the final
    // update carries the whole text, so a delta arriving after it is stale.
    if (known != null && known.done() && u.text == null && !Boolean.TRUE.equals(u.done)) return false;
    String text = known == null ? "" : known.text();
    if (u.text != null) text = u.text;
    else if (u.delta != null) text = text + u.delta;
    String sessionId = u.widget != null ? u.widget.sessionId : known == null ? null : known.sessionId();
    ChatUpdateParams.Error error = u.error != null ? u.error : known == null ? null : known.error();
    Message message = new Message(u.messageId, u.conversationId, u.role, text, u.done, sessionId, error);
    if (index < 0) items.add(message);
    else items.set(index, message);
    conversationId = u.conversationId;
    return true;
  }

  private int indexOfMessage(String id) {
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i) instanceof Message m && m.id().equals(id)) return i;
    }
    return -1;
  }

  /** The conversation to continue with the next message, or null to start one. */
  public synchronized String conversationId() {
    return conversationId;
  }

  /** The conversation a {@code tandem/chat/send} answer names: the next message continues it. */
  public synchronized void conversation(String id) {
    conversationId = id;
  }

  /** Forgets the conversation on screen; the next message starts a new one. */
  public void newConversation() {
    synchronized (this) {
      conversationId = null;
      items.clear();
    }
    fire(Change.CHAT, null);
  }

  public synchronized List<ChatItem> items() {
    return List.copyOf(items);
  }

  // ---- approvals

  /**
   * Records an approval the server asks. The server re-sends pending approvals after it restarts;
   * one already known keeps its place and the answer already under way.
   *
   * @return true when it is new, i.e. the person should be asked
   */
  public boolean approvalRequested(ApprovalRequestedParams p) {
    boolean isNew;
    synchronized (this) {
      Approval known = approvals.get(p.approvalId);
      ApprovalResolvedParams early = earlyResolutions.remove(p.approvalId);
      if (known == null && early != null) {
        // Resolved before it was announced here (reordered, or answered by another client).
        approvals.put(p.approvalId, new Approval(p, answered(early), early.scope, early.reason));
        isNew = false;
      } else {
        isNew = known == null;
        AnswerState state = isNew ? AnswerState.PENDING : known.state();
        approvals.put(p.approvalId, new Approval(p, state, isNew ? null : known.scope(), isNew ? null : known.reason()));
      }
      boolean placed = items.stream().anyMatch(i -> i instanceof ApprovalCard c && c.approvalId().equals(p.approvalId));
      if (!placed && p.conversationId != null && (conversationId == null || p.conversationId.equals(conversationId))) {
        items.add(new ApprovalCard(p.approvalId, p.conversationId));
      }
    }
    fire(Change.APPROVALS, p.approvalId);
    return isNew;
  }

  /**
   * The server's word on how an approval ended (from any client, or a check after it). One that
   * arrives before its request is kept, so the request, when it comes, is not asked.
   */
  public void approvalResolved(ApprovalResolvedParams p) {
    synchronized (this) {
      Approval known = approvals.get(p.approvalId);
      if (known == null) {
        earlyResolutions.put(p.approvalId, p);
        return;
      }
      approvals.put(p.approvalId, new Approval(known.request(), answered(p), p.scope, p.reason));
    }
    fire(Change.APPROVALS, p.approvalId);
  }

  private static AnswerState answered(ApprovalResolvedParams p) {
    return p.decision == Decision.APPROVE ? AnswerState.APPROVED : AnswerState.DENIED;
  }

  /**
   * Claims a pending approval for an answer, so a second click (or a second view of it) cannot
   * answer twice.
   *
   * @return false when it is not pending: answered, being answered, or unknown
   */
  public boolean beginAnswer(String approvalId) {
    synchronized (this) {
      Approval known = approvals.get(approvalId);
      if (known == null || known.state() != AnswerState.PENDING) return false;
      approvals.put(approvalId, new Approval(known.request(), AnswerState.ANSWERING, null, null));
    }
    fire(Change.APPROVALS, approvalId);
    return true;
  }

  /** The answer did not reach the server: the approval is pending again, with why. */
  public void answerFailed(String approvalId, String reason) {
    synchronized (this) {
      Approval known = approvals.get(approvalId);
      if (known == null || known.state() != AnswerState.ANSWERING) return;
      approvals.put(approvalId, new Approval(known.request(), AnswerState.PENDING, null, reason));
    }
    fire(Change.APPROVALS, approvalId);
  }

  public synchronized Approval approval(String approvalId) {
    return approvals.get(approvalId);
  }

  /** Approvals waiting for the person (or for the server's confirmation), oldest first. */
  public synchronized List<Approval> openApprovals() {
    List<Approval> open = new ArrayList<>();
    for (Approval a : approvals.values()) if (a.isOpen()) open.add(a);
    open.sort(Comparator.comparing(a -> a.request().createdAt));
    return List.copyOf(open);
  }

  /**
   * The server stopped: open approvals are forgotten, because the server re-sends those that
   * survived when it starts again (and one that did not can no longer be answered).
   */
  public void serverStopped() {
    List<String> dropped = new ArrayList<>();
    synchronized (this) {
      approvals.values().removeIf(a -> {
        if (!a.isOpen()) return false;
        dropped.add(a.id());
        return true;
      });
    }
    for (String id : dropped) fire(Change.APPROVALS, id);
  }

  // ---- sessions

  /**
   * Keeps the snapshot with the highest {@code seq}: snapshots can arrive out of order (a list
   * answered after a newer notification), and an old one must never move a widget backwards.
   *
   * @return true when it was newer than the one known
   */
  public boolean sessionStatus(SessionSnapshot s) {
    synchronized (this) {
      SessionSnapshot known = sessions.get(s.sessionId);
      if (known != null && known.seq >= s.seq) return false;
      sessions.put(s.sessionId, s);
    }
    fire(Change.SESSIONS, s.sessionId);
    return true;
  }

  /** Merges snapshots read with {@code tandem/session/list} or {@code get}. */
  public void sessions(List<SessionSnapshot> snapshots) {
    for (SessionSnapshot s : snapshots) sessionStatus(s);
  }

  public synchronized SessionSnapshot session(String sessionId) {
    return sessions.get(sessionId);
  }

  /** Every session known, newest first. */
  public synchronized List<SessionSnapshot> sessionsNewestFirst() {
    List<SessionSnapshot> list = new ArrayList<>(sessions.values());
    list.sort(Comparator.comparing((SessionSnapshot s) -> s.startedAt).reversed());
    return List.copyOf(list);
  }

  /** Sessions that have not finished. */
  public synchronized int running() {
    int n = 0;
    for (SessionSnapshot s : sessions.values()) {
      if (!Protocol.FINAL_STATUSES.contains(s.status)) n++;
    }
    return n;
  }
}
