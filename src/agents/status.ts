/** Stored round status, as `IPoQSettlement.Status`. */
export const Status = { None: 0, Registered: 1, Active: 2, Accepted: 3, Finalized: 4, Cancelled: 5 } as const;
