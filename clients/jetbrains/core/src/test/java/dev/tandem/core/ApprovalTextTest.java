package dev.tandem.core;

import static dev.tandem.core.Fixtures.flowApproval;
import static dev.tandem.core.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.protocol.Protocol.ApprovalRequestedParams;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApprovalTextTest {
  @Test
  void aFlowApprovalNamesTheFlowAndTheReferenceWithItsLink() {
    ApprovalRequestedParams p = Json.read(flowApproval("a1", "t"), ApprovalRequestedParams.class, "m");
    assertEquals(
        List.of("Code Review · merge request group/app!7  http://127.0.0.1:1/group/app/-/merge_requests/7"),
        ApprovalText.lines(p));
  }

  @Test
  void aCommandApprovalShowsTheCommandVerbatimAndWhereItRuns() {
    ApprovalRequestedParams p =
        Json.read(
            json(
                "{'approvalId':'a2','kind':'command','title':'Run npm test in the sandbox?','sessionId':'s1',"
                    + "'command':{'command':'npm test','cwd':'/workspaces/app'},'details':' for Fix Pipeline ','createdAt':'t'}"),
            ApprovalRequestedParams.class,
            "m");
    assertEquals("$ npm test\nin /workspaces/app\nfor Fix Pipeline", ApprovalText.details(p));
  }

  @Test
  void theBalloonTextIsEscapedHtml() {
    ApprovalRequestedParams p =
        Json.read(
            json("{'approvalId':'a3','kind':'command','title':'t','command':{'command':'test -f a && echo \\'<ok>\\'','cwd':'/w'},'createdAt':'t'}"),
            ApprovalRequestedParams.class,
            "m");
    assertEquals("$ test -f a &amp;&amp; echo &quot;&lt;ok&gt;&quot;<br>in /w", ApprovalText.html(p));
  }
}
