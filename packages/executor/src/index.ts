export const packageName = '@wukong/executor';
