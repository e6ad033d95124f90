namespace Gleitzeit.Core.Cost;

/// <summary>The answer of <see cref="IBudgetLedger.TryReserveAsync"/>: whether the call may start, and the spend it was decided on.</summary>
/// <param name="Admitted">True when the call was counted and its tokens reserved; false when the budget is reached.</param>
/// <param name="Spend">The run's spend after the decision.</param>
public readonly record struct BudgetReservation(bool Admitted, BudgetSpend Spend);
