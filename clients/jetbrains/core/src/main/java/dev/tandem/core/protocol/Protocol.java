// Generated from server/protocol by `npm run gen`. Do not edit: change the declarations.
package dev.tandem.core.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Protocol v1 of tandem: method names, directions, constants and every payload. */
@SuppressWarnings("unused")
public final class Protocol {
  private Protocol() {}

  /** The protocol version this file was generated from. */
  public static final int VERSION = 1;

  /** Every method name of protocol v1. */
  public static final class Methods {
    private Methods() {}

    public static final String CHAT_SEND = "tandem/chat/send";
    public static final String CHAT_UPDATE = "tandem/chat/update";
    public static final String APPROVAL_REQUESTED = "tandem/approval/requested";
    public static final String APPROVAL_RESPOND = "tandem/approval/respond";
    public static final String APPROVAL_RESOLVED = "tandem/approval/resolved";
    public static final String FLOW_START = "tandem/flow/start";
    public static final String SESSION_STATUS = "tandem/session/status";
    public static final String SESSION_LIST = "tandem/session/list";
    public static final String SESSION_GET = "tandem/session/get";
    public static final String SESSION_CANCEL = "tandem/session/cancel";
    public static final String SESSION_RESTORE = "tandem/session/restore";
    public static final String SESSION_OPENED = "tandem/session/opened";
    public static final String TELEMETRY_SUMMARY = "tandem/telemetry/summary";
    public static final String WEBVIEW_INFO = "tandem/webview/info";
  }

  /** Who sends a method. Requests always go client → server. */
  public enum Direction {
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT
  }

  /**
   * A method of protocol v1: its name, whether it is a request, who sends it, the
   * {@code capabilities.experimental.tandem} flag it needs (or null), and its payload classes
   * ({@code result} is null for notifications).
   */
  public record Method(String name, boolean request, Direction direction, String capability, Class<?> params, Class<?> result) {}

  /** Marks a field the sender always sets; {@code Json} rejects a payload without it. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  public @interface Required {}

  public enum FlowId {
    @SerializedName("fix_pipeline") FIX_PIPELINE("fix_pipeline"),
    @SerializedName("implement_issue") IMPLEMENT_ISSUE("implement_issue"),
    @SerializedName("code_review") CODE_REVIEW("code_review");

    /** The value on the wire. */
    public final String value;

    FlowId(String value) {
      this.value = value;
    }

    /** The constant for a wire value, or null for one this version does not know. */
    public static FlowId of(String value) {
      for (FlowId c : values()) if (c.value.equals(value)) return c;
      return null;
    }
  }

  public enum Trigger {
    @SerializedName("ui") UI("ui"),
    @SerializedName("chat") CHAT("chat"),
    @SerializedName("cli") CLI("cli");

    /** The value on the wire. */
    public final String value;

    Trigger(String value) {
      this.value = value;
    }

    /** The constant for a wire value, or null for one this version does not know. */
    public static Trigger of(String value) {
      for (Trigger c : values()) if (c.value.equals(value)) return c;
      return null;
    }
  }

  public enum SessionStatus {
    @SerializedName("queued") QUEUED("queued"),
    @SerializedName("running") RUNNING("running"),
    @SerializedName("awaiting_approval") AWAITING_APPROVAL("awaiting_approval"),
    @SerializedName("completed") COMPLETED("completed"),
    @SerializedName("failed") FAILED("failed"),
    @SerializedName("cancelled") CANCELLED("cancelled"),
    @SerializedName("interrupted") INTERRUPTED("interrupted");

    /** The value on the wire. */
    public final String value;

    SessionStatus(String value) {
      this.value = value;
    }

    /** The constant for a wire value, or null for one this version does not know. */
    public static SessionStatus of(String value) {
      for (SessionStatus c : values()) if (c.value.equals(value)) return c;
      return null;
    }
  }

  public static final class Reference {
    @Required public Kind kind;
    /** Web URL of the pipeline, issue or merge request */
    @Required public String url;
    /** Short form, e.g. {@code group/app!7} */
    @Required public String label;

    public enum Kind {
      @SerializedName("pipeline") PIPELINE("pipeline"),
      @SerializedName("issue") ISSUE("issue"),
      @SerializedName("merge_request") MERGE_REQUEST("merge_request");

      /** The value on the wire. */
      public final String value;

      Kind(String value) {
        this.value = value;
      }

      /** The constant for a wire value, or null for one this version does not know. */
      public static Kind of(String value) {
        for (Kind c : values()) if (c.value.equals(value)) return c;
        return null;
      }
    }
  }

  public static final class SessionSnapshot {
    @Required public String sessionId;
    /** Rises with every snapshot of this session */
    @Required public Long seq;
    @Required public FlowId flow;
    @Required public String title;
    @Required public SessionStatus status;
    @Required public Reference reference;
    @Required public Trigger trigger;
    public String conversationId;
    /** ISO 8601 */
    @Required public String startedAt;
    /** ISO 8601 */
    @Required public String updatedAt;
    /** The step running now, e.g. {@code fetch_diff} */
    public String step;
    public Result result;
    public String error;

    public static final class Result {
      @Required public String summary;
      @Required public List<Link> links;

      public static final class Link {
        @Required public String label;
        @Required public String url;
      }
    }
  }

  public static final class Ratio {
    @Required public Long numerator;
    @Required public Long denominator;
    /** numerator / denominator, null when nothing was counted */
    @Required public Double rate;
  }

  public enum Decision {
    @SerializedName("approve") APPROVE("approve"),
    @SerializedName("deny") DENY("deny");

    /** The value on the wire. */
    public final String value;

    Decision(String value) {
      this.value = value;
    }

    /** The constant for a wire value, or null for one this version does not know. */
    public static Decision of(String value) {
      for (Decision c : values()) if (c.value.equals(value)) return c;
      return null;
    }
  }

  public enum Scope {
    @SerializedName("once") ONCE("once"),
    @SerializedName("session") SESSION("session"),
    @SerializedName("always") ALWAYS("always");

    /** The value on the wire. */
    public final String value;

    Scope(String value) {
      this.value = value;
    }

    /** The constant for a wire value, or null for one this version does not know. */
    public static Scope of(String value) {
      for (Scope c : values()) if (c.value.equals(value)) return c;
      return null;
    }
  }

  /** tandem/chat/send */
  public static final class ChatSendParams {
    /** Omit to start a new conversation */
    public String conversationId;
    @Required public String text;
    public Context context;

    public static final class Context {
      public String workspaceFolder;
      public ActiveFile activeFile;

      public static final class ActiveFile {
        @Required public String uri;
        public String selection;
      }
    }
  }

  /** Result of tandem/chat/send */
  public static final class ChatSendResult {
    @Required public String conversationId;
    @Required public String turnId;
  }

  /** tandem/chat/update */
  public static final class ChatUpdateParams {
    @Required public String conversationId;
    @Required public String turnId;
    @Required public String messageId;
    @Required public Role role;
    /** Text to append to the message */
    public String delta;
    /** The whole message so far; replaces what the client has */
    public String text;
    @Required public Boolean done;
    /** The message is a session widget; render it from {@code tandem/session/status} */
    public Widget widget;
    /** The turn ended in an error the user should see */
    public Error error;

    public enum Role {
      @SerializedName("user") USER("user"),
      @SerializedName("assistant") ASSISTANT("assistant");

      /** The value on the wire. */
      public final String value;

      Role(String value) {
        this.value = value;
      }

      /** The constant for a wire value, or null for one this version does not know. */
      public static Role of(String value) {
        for (Role c : values()) if (c.value.equals(value)) return c;
        return null;
      }
    }

    public static final class Widget {
      @Required public String sessionId;
    }

    public static final class Error {
      @Required public String message;
      @Required public Boolean retryable;
    }
  }

  /** tandem/approval/requested */
  public static final class ApprovalRequestedParams {
    @Required public String approvalId;
    @Required public Kind kind;
    @Required public String title;
    public String conversationId;
    public String sessionId;
    public Flow flow;
    public Reference reference;
    public Command command;
    public String details;
    /** ISO 8601 */
    @Required public String createdAt;

    public enum Kind {
      @SerializedName("flow") FLOW("flow"),
      @SerializedName("command") COMMAND("command"),
      @SerializedName("tool") TOOL("tool");

      /** The value on the wire. */
      public final String value;

      Kind(String value) {
        this.value = value;
      }

      /** The constant for a wire value, or null for one this version does not know. */
      public static Kind of(String value) {
        for (Kind c : values()) if (c.value.equals(value)) return c;
        return null;
      }
    }

    public static final class Flow {
      @Required public FlowId id;
      @Required public String name;
    }

    public static final class Command {
      @Required public String command;
      @Required public String cwd;
    }
  }

  /** tandem/approval/respond */
  public static final class ApprovalRespondParams {
    @Required public String approvalId;
    @Required public Decision decision;
    public Scope scope;
    /** With a denial: what to do instead */
    public String feedback;
  }

  /** Result of tandem/approval/respond */
  public static final class ApprovalRespondResult {
    @Required public String approvalId;
    @Required public Decision decision;
    public Scope scope;
  }

  /** tandem/approval/resolved */
  public static final class ApprovalResolvedParams {
    @Required public String approvalId;
    @Required public Decision decision;
    public Scope scope;
    /** Why it ended as it did, e.g. a permission check that failed after approval */
    public String reason;
  }

  /** tandem/flow/start */
  public static final class FlowStartParams {
    @Required public FlowId flow;
    /** A web URL, or {@code group/project!7}, {@code group/project#12}, {@code !7}, {@code #12} */
    @Required public String reference;
    @Required public Trigger trigger;
  }

  /** Result of tandem/flow/start */
  public static final class FlowStartResult {
    @Required public String sessionId;
  }

  /** tandem/session/list */
  public static final class SessionListParams {
    public List<SessionStatus> statuses;
    /** Default 100, newest first */
    public Long limit;
  }

  /** Result of tandem/session/list */
  public static final class SessionListResult {
    @Required public List<SessionSnapshot> sessions;
  }

  /** tandem/session/get */
  public static final class SessionGetParams {
    @Required public String sessionId;
  }

  /** Result of tandem/session/get */
  public static final class SessionGetResult {
    @Required public SessionSnapshot session;
    @Required public List<Step> steps;
    @Required public List<Event> events;
    @Required public Metrics metrics;
    /** Oldest first; any of them can be restored */
    @Required public List<Checkpoint> checkpoints;

    public static final class Step {
      @Required public String name;
      @Required public Status status;
      @Required public String startedAt;
      public String endedAt;

      public enum Status {
        @SerializedName("running") RUNNING("running"),
        @SerializedName("completed") COMPLETED("completed"),
        @SerializedName("failed") FAILED("failed"),
        @SerializedName("skipped") SKIPPED("skipped");

        /** The value on the wire. */
        public final String value;

        Status(String value) {
          this.value = value;
        }

        /** The constant for a wire value, or null for one this version does not know. */
        public static Status of(String value) {
          for (Status c : values()) if (c.value.equals(value)) return c;
          return null;
        }
      }
    }

    public static final class Event {
      @Required public Long id;
      @Required public String at;
      /** e.g. {@code step_started}, {@code model_call}, {@code api_call}, {@code status} */
      @Required public String type;
      @Required public String message;
      public JsonElement data;
    }

    public static final class Metrics {
      /** Wall time from start to finish (or to now) */
      public Double durationMs;
      @Required public Long promptTokens;
      @Required public Long completionTokens;
      @Required public Long modelCalls;
      /** Time spent waiting for the model */
      public Long modelMs;
      public Long toolCalls;
      /** Time spent in agent tools (includes sandbox exec) */
      public Long toolMs;
      /** Time commands ran in the sandbox */
      public Long sandboxExecMs;
      /** Time spent waiting for the person */
      public Long approvalWaitMs;
      /** Time spent checkpointing the session’s state and worktree */
      public Long checkpointMs;
    }

    public static final class Checkpoint {
      /** What {@code tandem/session/restore} takes */
      @Required public String checkpointId;
      /** ISO 8601 */
      @Required public String at;
      /** Taken when a step started or ended, the model answered, a tool ran; {@code undo} keeps the state before a restore, {@code restore} is the state a restore put back */
      @Required public Kind kind;
      @Required public String label;
      /** The flow step it belongs to */
      public String step;
      /** Commit of the worktree snapshot, if any by then */
      public String worktree;

      /** Taken when a step started or ended, the model answered, a tool ran; {@code undo} keeps the state before a restore, {@code restore} is the state a restore put back */
      public enum Kind {
        @SerializedName("step_started") STEP_STARTED("step_started"),
        @SerializedName("step") STEP("step"),
        @SerializedName("model") MODEL("model"),
        @SerializedName("tool") TOOL("tool"),
        @SerializedName("undo") UNDO("undo"),
        @SerializedName("restore") RESTORE("restore");

        /** The value on the wire. */
        public final String value;

        Kind(String value) {
          this.value = value;
        }

        /** The constant for a wire value, or null for one this version does not know. */
        public static Kind of(String value) {
          for (Kind c : values()) if (c.value.equals(value)) return c;
          return null;
        }
      }
    }
  }

  /** tandem/session/cancel */
  public static final class SessionCancelParams {
    @Required public String sessionId;
  }

  /** Result of tandem/session/cancel */
  public static final class SessionCancelResult {
    @Required public String sessionId;
    /** False when the session had already finished */
    @Required public Boolean cancelled;
    @Required public SessionStatus status;
  }

  /** tandem/session/restore */
  public static final class SessionRestoreParams {
    @Required public String sessionId;
    @Required public String checkpointId;
  }

  /** Result of tandem/session/restore */
  public static final class SessionRestoreResult {
    @Required public String sessionId;
    /** {@code interrupted}: the session waits at the checkpoint */
    @Required public SessionStatus status;
    /** The new checkpoint holding the restored state */
    @Required public String checkpointId;
    /** The state before this restore: restore it to undo */
    @Required public String undoCheckpointId;
  }

  /** tandem/session/opened */
  public static final class SessionOpenedParams {
    @Required public String sessionId;
    @Required public Source source;

    public enum Source {
      @SerializedName("widget") WIDGET("widget"),
      @SerializedName("list") LIST("list"),
      @SerializedName("notification") NOTIFICATION("notification");

      /** The value on the wire. */
      public final String value;

      Source(String value) {
        this.value = value;
      }

      /** The constant for a wire value, or null for one this version does not know. */
      public static Source of(String value) {
        for (Source c : values()) if (c.value.equals(value)) return c;
        return null;
      }
    }
  }

  /** tandem/telemetry/summary */
  public static final class TelemetrySummaryParams {
    /** ISO 8601; default: everything recorded */
    public String since;
  }

  /** Result of tandem/telemetry/summary */
  public static final class TelemetrySummaryResult {
    /** Per flow: approved / decided */
    @Required public Map<String, Ratio> approvalRate;
    /** Per flow: median decision time */
    @Required public Map<String, Double> approvalLatencyMs;
    /** Per flow */
    @Required public Map<String, Long> recommendations;
    /** Flows started per trigger */
    @Required public Map<String, Long> triggerSource;
    /** Per flow, per trigger: completed / finished */
    @Required public Map<String, Map<String, Ratio>> successRate;
    /** Widgets opened / widgets shown */
    @Required public Ratio widgetClickThrough;
    @Required public Tokens tokens;

    public static final class Tokens {
      @Required public Long prompt;
      @Required public Long completion;
    }
  }

  /** tandem/webview/info */
  public static final class WebviewInfoParams {
  }

  /** Result of tandem/webview/info */
  public static final class WebviewInfoResult {
    /** The shared webview, served on 127.0.0.1 with a random port; carries the per-start token ({@code ?token=…}). Open it as is; the page connects its WebSocket bridge with the same token. */
    @Required public String url;
    /** The protocol the bridge speaks (this document) */
    @Required public Long protocolVersion;
  }

  /** Every method, in documentation order. */
  public static final List<Method> METHODS =
    List.of(
      new Method(Methods.CHAT_SEND, true, Direction.CLIENT_TO_SERVER, null, ChatSendParams.class, ChatSendResult.class),
      new Method(Methods.CHAT_UPDATE, false, Direction.SERVER_TO_CLIENT, null, ChatUpdateParams.class, null),
      new Method(Methods.APPROVAL_REQUESTED, false, Direction.SERVER_TO_CLIENT, "approvals", ApprovalRequestedParams.class, null),
      new Method(Methods.APPROVAL_RESPOND, true, Direction.CLIENT_TO_SERVER, "approvals", ApprovalRespondParams.class, ApprovalRespondResult.class),
      new Method(Methods.APPROVAL_RESOLVED, false, Direction.SERVER_TO_CLIENT, "approvals", ApprovalResolvedParams.class, null),
      new Method(Methods.FLOW_START, true, Direction.CLIENT_TO_SERVER, null, FlowStartParams.class, FlowStartResult.class),
      new Method(Methods.SESSION_STATUS, false, Direction.SERVER_TO_CLIENT, null, SessionSnapshot.class, null),
      new Method(Methods.SESSION_LIST, true, Direction.CLIENT_TO_SERVER, null, SessionListParams.class, SessionListResult.class),
      new Method(Methods.SESSION_GET, true, Direction.CLIENT_TO_SERVER, null, SessionGetParams.class, SessionGetResult.class),
      new Method(Methods.SESSION_CANCEL, true, Direction.CLIENT_TO_SERVER, null, SessionCancelParams.class, SessionCancelResult.class),
      new Method(Methods.SESSION_RESTORE, true, Direction.CLIENT_TO_SERVER, null, SessionRestoreParams.class, SessionRestoreResult.class),
      new Method(Methods.SESSION_OPENED, false, Direction.CLIENT_TO_SERVER, "sessionWidget", SessionOpenedParams.class, null),
      new Method(Methods.TELEMETRY_SUMMARY, true, Direction.CLIENT_TO_SERVER, null, TelemetrySummaryParams.class, TelemetrySummaryResult.class),
      new Method(Methods.WEBVIEW_INFO, true, Direction.CLIENT_TO_SERVER, null, WebviewInfoParams.class, WebviewInfoResult.class));

  /** The flows in order, with the names users see. */
  public static final Map<FlowId, String> FLOW_NAMES;

  /** The statuses a session never leaves. */
  public static final Set<SessionStatus> FINAL_STATUSES =
    Collections.unmodifiableSet(EnumSet.of(SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED));

  static {
    Map<FlowId, String> names = new LinkedHashMap<>();
    names.put(FlowId.FIX_PIPELINE, "Fix Pipeline");
    names.put(FlowId.IMPLEMENT_ISSUE, "Implement Issue");
    names.put(FlowId.CODE_REVIEW, "Code Review");
    FLOW_NAMES = Collections.unmodifiableMap(names);
  }

  /** The method with this name, or null. */
  public static Method method(String name) {
    for (Method m : METHODS) if (m.name().equals(name)) return m;
    return null;
  }
}
