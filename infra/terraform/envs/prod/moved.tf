# Where resources lived before the shared modules (ecs_service, lambda_function, iam_role) took
# them in: a deployment made before keeps every resource, log history included, instead of
# replacing it. Delete this file once every deployment has applied it.

moved {
  from = module.ingest.aws_cloudwatch_log_group.this
  to   = module.ingest.module.service.aws_cloudwatch_log_group.this
}

moved {
  from = module.ingest.aws_iam_role.execution
  to   = module.ingest.module.service.module.execution_role.aws_iam_role.this
}

moved {
  from = module.ingest.aws_iam_role_policy.execution
  to   = module.ingest.module.service.module.execution_role.aws_iam_role_policy.this
}

moved {
  from = module.ingest.aws_iam_role.task
  to   = module.ingest.module.service.module.task_role.aws_iam_role.this
}

moved {
  from = module.ingest.aws_iam_role_policy.task
  to   = module.ingest.module.service.module.task_role.aws_iam_role_policy.this
}

moved {
  from = module.ingest.aws_ecs_task_definition.this
  to   = module.ingest.module.service.aws_ecs_task_definition.this
}

moved {
  from = module.ingest.aws_security_group.task
  to   = module.ingest.module.service.aws_security_group.this
}

moved {
  from = module.ingest.aws_vpc_security_group_egress_rule.task_https
  to   = module.ingest.module.service.aws_vpc_security_group_egress_rule.https
}

moved {
  from = module.ingest.aws_ecs_service.this
  to   = module.ingest.module.service.aws_ecs_service.autoscaled[0]
}

moved {
  from = module.ingest.aws_vpc_security_group_ingress_rule.task_from_alb
  to   = module.ingest.module.service.aws_vpc_security_group_ingress_rule.from_load_balancer[0]
}

moved {
  from = module.ingest.aws_vpc_security_group_egress_rule.alb_to_tasks
  to   = module.ingest.module.service.aws_vpc_security_group_egress_rule.load_balancer_to_tasks[0]
}

moved {
  from = module.ingest.aws_lb_target_group.this
  to   = module.ingest.module.service.aws_lb_target_group.this[0]
}

moved {
  from = module.ingest.aws_appautoscaling_target.this
  to   = module.ingest.module.service.aws_appautoscaling_target.this[0]
}

moved {
  from = module.ingest.aws_appautoscaling_policy.cpu
  to   = module.ingest.module.service.aws_appautoscaling_policy.this["cpu"]
}

moved {
  from = module.ingest.aws_appautoscaling_policy.requests
  to   = module.ingest.module.service.aws_appautoscaling_policy.this["requests"]
}

moved {
  from = module.serving[0].aws_cloudwatch_log_group.this
  to   = module.serving[0].module.service.aws_cloudwatch_log_group.this
}

moved {
  from = module.serving[0].aws_iam_role.execution
  to   = module.serving[0].module.service.module.execution_role.aws_iam_role.this
}

moved {
  from = module.serving[0].aws_iam_role_policy.execution
  to   = module.serving[0].module.service.module.execution_role.aws_iam_role_policy.this
}

moved {
  from = module.serving[0].aws_iam_role.task
  to   = module.serving[0].module.service.module.task_role.aws_iam_role.this
}

moved {
  from = module.serving[0].aws_iam_role_policy.task
  to   = module.serving[0].module.service.module.task_role.aws_iam_role_policy.this
}

moved {
  from = module.serving[0].aws_ecs_task_definition.this
  to   = module.serving[0].module.service.aws_ecs_task_definition.this
}

moved {
  from = module.serving[0].aws_security_group.task
  to   = module.serving[0].module.service.aws_security_group.this
}

moved {
  from = module.serving[0].aws_vpc_security_group_egress_rule.task_https
  to   = module.serving[0].module.service.aws_vpc_security_group_egress_rule.https
}

moved {
  from = module.serving[0].aws_ecs_service.this
  to   = module.serving[0].module.service.aws_ecs_service.this[0]
}

moved {
  from = module.serving[0].aws_vpc_security_group_ingress_rule.task_from_alb
  to   = module.serving[0].module.service.aws_vpc_security_group_ingress_rule.from_load_balancer[0]
}

moved {
  from = module.serving[0].aws_vpc_security_group_egress_rule.alb_to_tasks
  to   = module.serving[0].module.service.aws_vpc_security_group_egress_rule.load_balancer_to_tasks[0]
}

moved {
  from = module.serving[0].aws_lb_target_group.this
  to   = module.serving[0].module.service.aws_lb_target_group.this[0]
}

moved {
  from = module.speed.aws_cloudwatch_log_group.handler["kinesis"]
  to   = module.speed.module.handler["kinesis"].aws_cloudwatch_log_group.this
}

moved {
  from = module.speed.aws_iam_role.handler["kinesis"]
  to   = module.speed.module.handler["kinesis"].module.role.aws_iam_role.this
}

moved {
  from = module.speed.aws_iam_role_policy.handler["kinesis"]
  to   = module.speed.module.handler["kinesis"].module.role.aws_iam_role_policy.this
}

moved {
  from = module.speed.aws_lambda_function.handler["kinesis"]
  to   = module.speed.module.handler["kinesis"].aws_lambda_function.this
}

moved {
  from = module.speed.aws_cloudwatch_log_group.handler["sqs"]
  to   = module.speed.module.handler["sqs"].aws_cloudwatch_log_group.this
}

moved {
  from = module.speed.aws_iam_role.handler["sqs"]
  to   = module.speed.module.handler["sqs"].module.role.aws_iam_role.this
}

moved {
  from = module.speed.aws_iam_role_policy.handler["sqs"]
  to   = module.speed.module.handler["sqs"].module.role.aws_iam_role_policy.this
}

moved {
  from = module.speed.aws_lambda_function.handler["sqs"]
  to   = module.speed.module.handler["sqs"].aws_lambda_function.this
}

moved {
  from = module.speed.aws_cloudwatch_log_group.kcl[0]
  to   = module.speed.module.kcl_worker[0].aws_cloudwatch_log_group.this
}

moved {
  from = module.speed.aws_iam_role.kcl_execution[0]
  to   = module.speed.module.kcl_worker[0].module.execution_role.aws_iam_role.this
}

moved {
  from = module.speed.aws_iam_role_policy.kcl_execution[0]
  to   = module.speed.module.kcl_worker[0].module.execution_role.aws_iam_role_policy.this
}

moved {
  from = module.speed.aws_iam_role.kcl_task[0]
  to   = module.speed.module.kcl_worker[0].module.task_role.aws_iam_role.this
}

moved {
  from = module.speed.aws_iam_role_policy.kcl_task[0]
  to   = module.speed.module.kcl_worker[0].module.task_role.aws_iam_role_policy.this
}

moved {
  from = module.speed.aws_ecs_task_definition.kcl[0]
  to   = module.speed.module.kcl_worker[0].aws_ecs_task_definition.this
}

moved {
  from = module.speed.aws_security_group.kcl[0]
  to   = module.speed.module.kcl_worker[0].aws_security_group.this
}

moved {
  from = module.speed.aws_vpc_security_group_egress_rule.kcl_https[0]
  to   = module.speed.module.kcl_worker[0].aws_vpc_security_group_egress_rule.https
}

moved {
  from = module.speed.aws_ecs_service.kcl[0]
  to   = module.speed.module.kcl_worker[0].aws_ecs_service.this[0]
}

moved {
  from = module.landing.aws_cloudwatch_log_group.this
  to   = module.landing.module.function.aws_cloudwatch_log_group.this
}

moved {
  from = module.landing.aws_iam_role.this
  to   = module.landing.module.function.module.role.aws_iam_role.this
}

moved {
  from = module.landing.aws_iam_role_policy.this
  to   = module.landing.module.function.module.role.aws_iam_role_policy.this
}

moved {
  from = module.landing.aws_lambda_function.this
  to   = module.landing.module.function.aws_lambda_function.this
}

moved {
  from = module.batch.aws_iam_role.job
  to   = module.batch.module.job_role.aws_iam_role.this
}

moved {
  from = module.batch.aws_iam_role_policy.job
  to   = module.batch.module.job_role.aws_iam_role_policy.this
}

moved {
  from = module.batch.aws_iam_role.scheduler
  to   = module.batch.module.scheduler_role.aws_iam_role.this
}

moved {
  from = module.batch.aws_iam_role_policy.scheduler
  to   = module.batch.module.scheduler_role.aws_iam_role_policy.this
}

moved {
  from = module.batch.aws_cloudwatch_log_group.compaction
  to   = module.batch.module.compaction.aws_cloudwatch_log_group.this
}

moved {
  from = module.batch.aws_iam_role.compaction_execution
  to   = module.batch.module.compaction.module.execution_role.aws_iam_role.this
}

moved {
  from = module.batch.aws_iam_role_policy.compaction_execution
  to   = module.batch.module.compaction.module.execution_role.aws_iam_role_policy.this
}

moved {
  from = module.batch.aws_iam_role.compaction_task
  to   = module.batch.module.compaction.module.task_role.aws_iam_role.this
}

moved {
  from = module.batch.aws_iam_role_policy.compaction_task
  to   = module.batch.module.compaction.module.task_role.aws_iam_role_policy.this
}

moved {
  from = module.batch.aws_ecs_task_definition.compaction
  to   = module.batch.module.compaction.aws_ecs_task_definition.this
}

moved {
  from = module.batch.aws_security_group.compaction
  to   = module.batch.module.compaction.aws_security_group.this
}

moved {
  from = module.batch.aws_vpc_security_group_egress_rule.compaction_https
  to   = module.batch.module.compaction.aws_vpc_security_group_egress_rule.https
}
