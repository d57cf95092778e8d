"""CodePipeline's own error shapes (the model's names), beyond the service layer's common ones."""

from __future__ import annotations

from codeconn.service.errors import ServiceError, error_class


def _codepipeline(code: str, doc: str) -> type[ServiceError]:
    return error_class(code, doc, ServiceError, module=__name__)


InvalidStructureException = _codepipeline("InvalidStructureException", "The pipeline's structure breaks a rule.")
InvalidStageDeclarationException = _codepipeline(
    "InvalidStageDeclarationException", "A stage declaration breaks a rule.")
InvalidActionDeclarationException = _codepipeline(
    "InvalidActionDeclarationException", "An action declaration breaks a rule.")
PipelineNameInUseException = _codepipeline("PipelineNameInUseException", "The name is taken in this Region.")
PipelineNotFoundException = _codepipeline("PipelineNotFoundException", "No pipeline of that name.")
PipelineVersionNotFoundException = _codepipeline(
    "PipelineVersionNotFoundException", "The pipeline has no such version.")
InvalidTagsException = _codepipeline("InvalidTagsException", "A tag key is reserved or malformed.")
TooManyTagsException = _codepipeline("TooManyTagsException", "A resource would carry more than 50 tags.")
InvalidArnException = _codepipeline("InvalidArnException", "The ARN names no pipeline.")
InvalidNextTokenException = _codepipeline("InvalidNextTokenException", "The nextToken was not handed out.")
PipelineExecutionNotFoundException = _codepipeline(
    "PipelineExecutionNotFoundException", "The pipeline has no execution of that id.")
PipelineExecutionNotStoppableException = _codepipeline(
    "PipelineExecutionNotStoppableException", "The execution has finished: there is nothing to stop.")
DuplicatedStopRequestException = _codepipeline(
    "DuplicatedStopRequestException", "The execution is stopping already.")
StageNotFoundException = _codepipeline("StageNotFoundException", "The pipeline has no stage of that name.")
ActionNotFoundException = _codepipeline("ActionNotFoundException", "The stage has no action of that name.")
InvalidApprovalTokenException = _codepipeline(
    "InvalidApprovalTokenException", "The token is not the pending approval's.")
ApprovalAlreadyCompletedException = _codepipeline(
    "ApprovalAlreadyCompletedException", "The approval was already answered (or is no longer pending).")


__all__ = [
    "ActionNotFoundException",
    "ApprovalAlreadyCompletedException",
    "DuplicatedStopRequestException",
    "InvalidActionDeclarationException",
    "InvalidApprovalTokenException",
    "InvalidArnException",
    "InvalidNextTokenException",
    "InvalidStageDeclarationException",
    "InvalidStructureException",
    "InvalidTagsException",
    "PipelineExecutionNotFoundException",
    "PipelineExecutionNotStoppableException",
    "PipelineNameInUseException",
    "PipelineNotFoundException",
    "PipelineVersionNotFoundException",
    "StageNotFoundException",
    "TooManyTagsException",
]
