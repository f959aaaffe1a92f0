/**
 * The operator's side of a running daemon or gateway: requests through the state folder (status, dead-letter retry
 * and purge), the desk that serves them, the queue report, the status report, and the queue, list and mode commands
 * shared by `clawtell` and `openclaw clawtell`.
 */
export { requestFromDaemon, serveOperatorRequests, NO_ANSWER, type LiveAccountStatus, type OperatorRequest, type OperatorResult } from "./requests.js";
export { createOperatorDesk, type OperatorDesk } from "./desk.js";
export { locateQueues, readQueues, findJob, changeDeadLetters, askRunningAccount, jobRow, JOB_TABLE_HEADERS, type QueueLocation, type QueueContents, type DeadLetterChange } from "./queue-report.js";
export { collectStatus, printStatus, type AccountStatus, type StatusInput } from "./status-report.js";
export { registerQueueCommands, type QueueCommandsDeps } from "./queue-commands.js";
export { clientFor } from "./client-for.js";
export { registerPolicyCommands, type PolicyCommandsDeps } from "./policy-commands.js";
export { changeLists, readLists, formatLists, setMode, setDeliveryPolicy, type ListAction, type NameLists } from "./policy-actions.js";
export { openManagedName, findNameAccount, namesOf, type ManagedName, type PolicyDeps } from "./policy-target.js";
