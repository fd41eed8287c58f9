export const packageName = '@wukong/scheduler';
