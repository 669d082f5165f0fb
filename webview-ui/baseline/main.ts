import '../shared/styles.css';
import './baseline.css';
import { BaselineApp } from './baseline-app';

void new BaselineApp(document.getElementById('app') as HTMLElement).start();
