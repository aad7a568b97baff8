/**
 * Undoing a create or update that failed halfway. Each undo is one more call to Creatio's API; they
 * run last first (runUndo), and when one cannot finish the caller fails with Pulumi's partial-state
 * error, so the stack's state records the client that exists in Creatio.
 */
import { deleteClient, setClientAppDescription, updateClient, UpdateClientRequest } from "../../lib/creatio/clientApps";
import { CreatioClient } from "../../lib/creatio/session";
import { UndoAction } from "../../lib/undo";

export { partialStateError, runUndo } from "../../lib/undo";
export type { UndoAction } from "../../lib/undo";

/** Deletes a client this run added (DeleteClient; a client already gone is fine). */
export function deleteNewClient(client: CreatioClient, clientId: string): UndoAction {
  return { label: `the new client ${clientId} deleted again`, run: async () => void (await deleteClient(client, clientId)) };
}

/** Puts the record's UpdateClient fields back to what they were. */
export function putBackFields(client: CreatioClient, earlier: UpdateClientRequest): UndoAction {
  return { label: "its earlier name, URLs, active flag and system user put back", run: () => updateClient(client, earlier) };
}

/** Puts the record's description back. */
export function putBackDescription(client: CreatioClient, recordId: string, description: string): UndoAction {
  return { label: "its earlier description put back", run: async () => void (await setClientAppDescription(client, recordId, description)) };
}
